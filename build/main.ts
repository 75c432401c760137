// `npm run build`: the browser bundle and the compiled pages into dist/ (see bundles.ts).
import { buildAll } from './bundles.ts';
import { inputsHash } from './freshness.ts';

const started = performance.now();
await buildAll(await inputsHash());
console.log(`built dist/ in ${Math.round(performance.now() - started)} ms`);
