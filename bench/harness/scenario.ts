// What a scenario is, and the A B A B alternation every one of them uses.
import type { BenchRun } from './infra.ts';
import type { BenchOptions } from './options.ts';
import type { ScenarioResult } from './report.ts';
import { type ArmRound, progress } from './report.ts';

export interface ScenarioContext {
  options: BenchOptions;
  run: BenchRun;
}

export interface Scenario {
  name: string;
  /** One or more result lines (fan-out reports one per size). Cleans up its processes and data itself. */
  run: (ctx: ScenarioContext) => Promise<ScenarioResult[]>;
}

/** Runs app and baseline alternately, `rounds` times each, app first. */
export async function alternate(
  label: string,
  rounds: number,
  app: (round: number) => Promise<ArmRound>,
  baseline: (round: number) => Promise<ArmRound>,
): Promise<{ app: ArmRound[]; baseline: ArmRound[] }> {
  const result = { app: [] as ArmRound[], baseline: [] as ArmRound[] };
  for (let i = 0; i < rounds; i++) {
    progress(`${label}: round ${i + 1}/${rounds} app`);
    const a = await app(i);
    result.app.push(a);
    progress(`${label}: round ${i + 1}/${rounds} app ${a.value.toFixed(0)}; baseline`);
    const b = await baseline(i);
    result.baseline.push(b);
    progress(`${label}: round ${i + 1}/${rounds} app ${a.value.toFixed(0)} baseline ${b.value.toFixed(0)}`);
  }
  return result;
}

/** Runs `tasks` with at most `limit` in flight. */
export async function pool<T>(count: number, limit: number, task: (i: number) => Promise<T>): Promise<T[]> {
  const results = new Array<T>(count);
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, count) }, async () => {
    while (next < count) {
      const i = next++;
      results[i] = await task(i);
    }
  });
  await Promise.all(runners);
  return results;
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
