// `node bench/profile-summary.ts <file.cpuprofile> [top] [--after=<s>]`: where a profiled
// process spent its CPU — self time by function and by package/folder — to read profiles taken with
// BENCH_CPU_PROF. `--after=5` leaves out the first 5 s (start-up: module loading, the JIT's first tiers).
// Samples are wall-clock: a thread preempted inside a syscall (writev to a busy PostgreSQL) is billed
// to that syscall, so read native frames with care and cross-check with /proc CPU time.
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

const args = process.argv.slice(2);
const afterArg = args.find((a) => a.startsWith('--after='));
const [file, topArg] = args.filter((a) => !a.startsWith('--'));
const afterUs = afterArg ? Number(afterArg.slice('--after='.length)) * 1e6 : 0;
if (!file) {
  process.stderr.write('usage: bench/profile-summary.ts <file.cpuprofile> [top]\n');
  process.exit(2);
}
const top = Number(topArg ?? 25);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;

// Self time per node from the samples and their time deltas (hitCount alone ignores uneven intervals).
const selfUs = new Map<number, number>();
const samples = profile.samples ?? [];
const deltas = profile.timeDeltas ?? [];
let at = profile.startTime;
for (let i = 0; i < samples.length; i++) {
  at += deltas[i] ?? 0;
  if (at - profile.startTime < afterUs) continue;
  const id = samples[i]!;
  selfUs.set(id, (selfUs.get(id) ?? 0) + (deltas[i + 1] ?? deltas[i] ?? 0));
}
// Idle time is not CPU: left out of the shares, reported apart.
let idleUs = 0;
for (const node of profile.nodes) {
  if (node.callFrame.functionName === '(idle)') {
    idleUs += selfUs.get(node.id) ?? 0;
    selfUs.delete(node.id);
  }
}
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

const where = (url: string): string => {
  if (!url) return '(native/vm)';
  const modules = url.lastIndexOf('node_modules/');
  if (modules >= 0) {
    const rest = url.slice(modules + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return url;
  const local = /\/work\/main\/(.*)$/.exec(url)?.[1] ?? url;
  return local.split('/').slice(0, 2).join('/');
};

const byFunction = new Map<string, number>();
const byPlace = new Map<string, number>();
for (const node of profile.nodes) {
  const us = selfUs.get(node.id) ?? 0;
  if (us === 0) continue;
  const { functionName, url, lineNumber } = node.callFrame;
  const short = url.replace(/^.*\/work\/main\//, '').replace(/^file:\/\//, '');
  const key = `${functionName || '(anonymous)'}  ${short}:${lineNumber + 1}`;
  byFunction.set(key, (byFunction.get(key) ?? 0) + us);
  byPlace.set(where(url), (byPlace.get(where(url)) ?? 0) + us);
}

const print = (title: string, map: Map<string, number>) => {
  process.stdout.write(`\n${title}\n`);
  for (const [key, us] of [...map].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    process.stdout.write(
      `${((us / total) * 100).toFixed(1).padStart(5)}%  ${(us / 1000).toFixed(0).padStart(7)} ms  ${key}\n`,
    );
  }
};
process.stdout.write(`${file}: ${(total / 1e6).toFixed(2)} s busy, ${(idleUs / 1e6).toFixed(2)} s idle\n`);
print('self time by package / folder', byPlace);
print('self time by function', byFunction);
