// Results of the scenarios: the one-line summary each prints, progress while running, and the JSON file.
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { root } from './processes.ts';
import { median, round, spread } from './stats.ts';

/** One round of one arm (app or baseline). */
export interface ArmRound {
  /** The throughput figure, in the scenario's unit (higher is better). */
  value: number;
  p50Ms?: number | null;
  p99Ms?: number | null;
  lost?: number;
  duplicated?: number;
  /** Server CPU seconds per operation (the app's processes, or the baseline's). */
  cpuPerOp?: number | null;
  /** PostgreSQL CPU seconds per operation (backends of the scenario's database). */
  dbCpuPerOp?: number | null;
  extra?: Record<string, number | string | null>;
}

export interface ScenarioResult {
  name: string;
  unit: string;
  target: string;
  app: number | null;
  baseline: number | null;
  /** Median over rounds of app/baseline of the same round. */
  ratio: number | null;
  /** Spread of the baseline rounds, (max − min)/median: the noise floor. */
  baselineSpread: number | null;
  p50?: { app: number | null; baseline: number | null };
  p99?: { app: number | null; baseline: number | null };
  lost: number;
  duplicated: number;
  cpuPerOpUs: { app: number | null; baseline: number | null };
  dbCpuPerOpUs?: { app: number | null; baseline: number | null };
  rounds: { app: ArmRound[]; baseline: ArmRound[] };
  extra: Record<string, number | string | null>;
  skipped?: string;
  /** Set when the scenario did not work (a benchmark fails only for that, never for being slow). */
  failed?: string;
  line: string;
}

const fmt = (n: number | null | undefined, digits = 0): string =>
  n === null || n === undefined || !Number.isFinite(n)
    ? '–'
    : n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

const med = (rounds: ArmRound[], pick: (r: ArmRound) => number | null | undefined) =>
  median(rounds.map(pick).filter((v): v is number => typeof v === 'number'));

export function summarize(
  name: string,
  unit: string,
  target: string,
  rounds: { app: ArmRound[]; baseline: ArmRound[] },
  extra: Record<string, number | string | null> = {},
): ScenarioResult {
  const app = med(rounds.app, (r) => r.value);
  const baseline = med(rounds.baseline, (r) => r.value);
  const ratios = rounds.app
    .map((a, i) => {
      const b = rounds.baseline[i]?.value;
      return b ? a.value / b : Number.NaN;
    })
    .filter((r) => Number.isFinite(r));
  const ratio = median(ratios);
  const hasLatency = rounds.app.some((r) => r.p99Ms !== undefined);
  const sum = (pick: (r: ArmRound) => number | undefined) =>
    rounds.app.reduce((total, r) => total + (pick(r) ?? 0), 0);
  const result: ScenarioResult = {
    name,
    unit,
    target,
    app: round(app, 1),
    baseline: round(baseline, 1),
    ratio: round(ratio, 2),
    baselineSpread: round(spread(rounds.baseline.map((r) => r.value)), 2),
    lost: sum((r) => r.lost),
    duplicated: sum((r) => r.duplicated),
    cpuPerOpUs: {
      app: round(scaleUs(med(rounds.app, (r) => r.cpuPerOp)), 1),
      baseline: round(scaleUs(med(rounds.baseline, (r) => r.cpuPerOp)), 1),
    },
    rounds,
    extra,
    line: '',
  };
  if (rounds.app.some((r) => r.dbCpuPerOp !== undefined)) {
    result.dbCpuPerOpUs = {
      app: round(scaleUs(med(rounds.app, (r) => r.dbCpuPerOp)), 1),
      baseline: round(scaleUs(med(rounds.baseline, (r) => r.dbCpuPerOp)), 1),
    };
  }
  if (hasLatency) {
    result.p50 = { app: med(rounds.app, (r) => r.p50Ms), baseline: med(rounds.baseline, (r) => r.p50Ms) };
    result.p99 = { app: med(rounds.app, (r) => r.p99Ms), baseline: med(rounds.baseline, (r) => r.p99Ms) };
  }
  result.line = formatLine(result);
  return result;
}

/** Median over rounds of a numeric `extra` field of one arm (for the printed line). */
export function medianExtra(rounds: ArmRound[], key: string): number | null {
  return round(
    median(rounds.map((r) => r.extra?.[key]).filter((v): v is number => typeof v === 'number')),
    1,
  );
}

const scaleUs = (seconds: number | null) => (seconds === null ? null : seconds * 1e6);

export function skipped(name: string, unit: string, target: string, why: string): ScenarioResult {
  const result: ScenarioResult = {
    name,
    unit,
    target,
    app: null,
    baseline: null,
    ratio: null,
    baselineSpread: null,
    lost: 0,
    duplicated: 0,
    cpuPerOpUs: { app: null, baseline: null },
    rounds: { app: [], baseline: [] },
    extra: {},
    skipped: why,
    line: `${name.padEnd(22)}skipped: ${why}`,
  };
  return result;
}

export function failed(name: string, why: string): ScenarioResult {
  return {
    ...skipped(name, '', '', why),
    skipped: undefined,
    failed: why,
    line: `${name.padEnd(22)}FAILED: ${why}`,
  };
}

export function formatLine(r: ScenarioResult): string {
  const parts = [
    r.name.padEnd(22),
    `app ${fmt(r.app)} ${r.unit}`,
    `baseline ${fmt(r.baseline)}`,
    `ratio ${fmt(r.ratio, 2)}`,
    `(noise ±${fmt(r.baselineSpread === null ? null : r.baselineSpread * 50, 0)}%)`,
  ];
  if (r.p99) {
    parts.push(
      `p50 ${fmt(r.p50?.app)}/${fmt(r.p50?.baseline)} ms  p99 app ${fmt(r.p99.app)} ms / base ${fmt(r.p99.baseline)} ms`,
    );
  }
  parts.push(`lost ${r.lost} dup ${r.duplicated}`);
  parts.push(`cpu/op ${fmt(r.cpuPerOpUs.app, 1)}/${fmt(r.cpuPerOpUs.baseline, 1)} µs`);
  if (r.dbCpuPerOpUs)
    parts.push(`db cpu/op ${fmt(r.dbCpuPerOpUs.app, 1)}/${fmt(r.dbCpuPerOpUs.baseline, 1)} µs`);
  for (const [key, value] of Object.entries(r.extra)) {
    parts.push(
      `${key} ${typeof value === 'number' ? fmt(value, Number.isInteger(value) || value >= 10 ? 0 : 2) : (value ?? '–')}`,
    );
  }
  parts.push(`[target ${r.target}]`);
  return parts.join('  ');
}

let lastProgress = 0;
/** A progress line on stderr (overwritten in place on a terminal). */
export function progress(message: string): void {
  const line = `… ${new Date().toISOString().slice(11, 19)} ${message}`;
  if (process.stderr.isTTY) {
    process.stderr.write(`\r\x1b[2K${line.slice(0, (process.stderr.columns ?? 120) - 1)}`);
    lastProgress = 1;
  } else {
    process.stderr.write(`${line}\n`);
  }
}

/** Ends an in-place progress line before a result line is printed. */
export function clearProgress(): void {
  if (lastProgress && process.stderr.isTTY) process.stderr.write('\r\x1b[2K');
  lastProgress = 0;
}

/** bench/results/latest.json (or BENCH_RESULTS_FILE); a smoke run writes smoke.json, never overwriting real figures. */
export function writeResults(
  results: ScenarioResult[],
  meta: { smoke: boolean } & Record<string, unknown>,
): string {
  const dir = path.join(root, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = process.env.BENCH_RESULTS_FILE
    ? path.resolve(process.env.BENCH_RESULTS_FILE)
    : path.join(dir, meta.smoke ? 'smoke.json' : 'latest.json');
  writeFileSync(file, `${JSON.stringify({ ...meta, results }, null, 2)}\n`);
  return file;
}
