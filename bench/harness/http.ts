// HTTP load of both arms: autocannon for closed-loop load, a paced sender for a fixed rate of POSTs.
import autocannon, { type AutocannonOptions, type AutocannonResult } from 'autocannon';
import { sleep } from './scenario.ts';
import { Histogram } from './stats.ts';

export function runAutocannon(options: AutocannonOptions): Promise<AutocannonResult> {
  return new Promise((resolve, reject) => {
    autocannon({ timeout: 30, ...options }, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

/** 2xx responses per second of an autocannon run. */
export const okPerSecond = (r: AutocannonResult): number => r['2xx'] / Math.max(r.duration, 0.001);

export interface PacedResult {
  sent: number;
  ok: number;
  startedAt: number;
  failures: string[];
  /** Request → response time of the sends, ms. */
  latency: Histogram;
}

/** Calls `send(i)` at `rate` per second for `durationMs` (open loop: never waits for answers to send more). */
export async function paced(
  rate: number,
  durationMs: number,
  send: (i: number) => Promise<boolean | string>,
): Promise<PacedResult> {
  const startedAt = Date.now();
  const start = performance.now();
  const inflight: Array<Promise<boolean | string>> = [];
  const latency = new Histogram(30_000);
  const timed = (k: number) => {
    const t0 = performance.now();
    return send(k).finally(() => latency.add(performance.now() - t0));
  };
  let i = 0;
  for (;;) {
    const elapsed = performance.now() - start;
    if (elapsed >= durationMs) break;
    const due = Math.floor((elapsed * rate) / 1000) + 1;
    while (i < due) inflight.push(timed(i++).catch((error: unknown) => String(error)));
    await sleep(2);
  }
  const results = await Promise.all(inflight);
  const failures = results.filter((r): r is string => typeof r === 'string');
  return {
    sent: i,
    ok: results.filter((r) => r === true).length,
    startedAt,
    failures: failures.slice(0, 3),
    latency,
  };
}

export async function postJson(
  url: string,
  body: unknown,
  headers: Record<string, string> = {},
): Promise<Response> {
  return fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
}
