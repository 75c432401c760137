// `npm run bench [-- <name>…] [--smoke] [--rounds=N]`: every scenario beside its baseline, A B A B,
// one line each, all of it in bench/results/latest.json. See bench/README.md and ../shared/BENCHMARKS.md.
import { connections } from './connections.ts';
import { fanout, fanoutMuted } from './fanout.ts';
import { feedRead } from './feed-read.ts';
import { endRun, startRun } from './harness/infra.ts';
import { parseOptions } from './harness/options.ts';
import { stopAllProcesses } from './harness/processes.ts';
import { clearProgress, failed, progress, type ScenarioResult, writeResults } from './harness/report.ts';
import type { Scenario } from './harness/scenario.ts';
import { login } from './login.ts';
import { media } from './media.ts';
import { presence, presenceFanout } from './presence.ts';
import { reminders } from './reminders.ts';
import { transfers } from './transfers.ts';
import { write } from './write.ts';

const scenarios: Scenario[] = [
  fanout,
  fanoutMuted,
  write,
  connections,
  transfers,
  feedRead,
  login,
  reminders,
  media,
  presence,
  presenceFanout,
];

const options = parseOptions(process.argv.slice(2));
const unknown = options.only.filter((name) => !scenarios.some((s) => s.name === name));
if (unknown.length > 0) {
  process.stderr.write(
    `unknown scenario(s): ${unknown.join(', ')}; known: ${scenarios.map((s) => s.name).join(', ')}\n`,
  );
  process.exit(2);
}
const selected = options.only.length > 0 ? scenarios.filter((s) => options.only.includes(s.name)) : scenarios;

const started = Date.now();
progress(
  `preparing (${options.smoke ? 'smoke' : `${options.rounds} rounds`}): migrating a template database`,
);
const run = await startRun(options);
let interrupted = false;
const onSignal = () => {
  interrupted = true;
  process.stderr.write('\ninterrupted: stopping processes and dropping bench data\n');
  void stopAllProcesses()
    .then(() => endRun(run))
    .finally(() => process.exit(130));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

const results: ScenarioResult[] = [];
let failures = 0;
try {
  for (const scenario of selected) {
    if (interrupted) break;
    const scenarioStarted = Date.now();
    try {
      const lines = await scenario.run({ options, run });
      results.push(...lines);
      clearProgress();
      for (const line of lines) process.stdout.write(`${line.line}\n`);
    } catch (error) {
      failures++;
      clearProgress();
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      process.stdout.write(`${scenario.name.padEnd(22)}FAILED: ${message.split('\n')[0]}\n`);
      process.stderr.write(`${message}\n`);
      results.push(failed(scenario.name, message.split('\n')[0] ?? message));
    }
    progress(`${scenario.name} took ${((Date.now() - scenarioStarted) / 1000).toFixed(0)} s`);
  }
} finally {
  await stopAllProcesses();
  await endRun(run).catch((error: unknown) => process.stderr.write(`cleanup failed: ${String(error)}\n`));
}
clearProgress();
const file = writeResults(results, {
  smoke: options.smoke,
  rounds: options.rounds,
  startedAt: new Date(started).toISOString(),
  seconds: Math.round((Date.now() - started) / 1000),
  node: process.version,
  failures,
});
process.stdout.write(`results: ${file} (${Math.round((Date.now() - started) / 1000)} s)\n`);
process.exit(failures > 0 ? 1 : 0);
