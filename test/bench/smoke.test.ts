// `npm run bench -- --smoke`: every scenario runs end to end for a second or so with tiny counts and
// prints its line with numbers. Never a speed assertion: a benchmark fails only for not working.
// Two bench processes share the scenarios, so the smoke's process start-ups overlap on two cores.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, inject, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const GROUPS = [
  ['fanout', 'connections', 'login', 'reminders'],
  ['write', 'transfers', 'feed-read', 'presence', 'presence-fanout'],
];
const outDir = mkdtempSync(path.join(tmpdir(), 'plaza-bench-smoke-'));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

interface Result {
  name: string;
  app: number | null;
  baseline: number | null;
  ratio: number | null;
  skipped?: string;
  failed?: string;
}

interface SmokeRun {
  code: number | null;
  stdout: string;
  stderr: string;
  results: Result[];
}

function runSmoke(names: string[], index: number): Promise<SmokeRun> {
  const run = inject('testRun');
  const resultsFile = path.join(outDir, `smoke-${index}.json`);
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      ['--conditions=plaza-source', path.join(root, 'bench/main.ts'), '--smoke', ...names],
      {
        cwd: root,
        env: {
          ...process.env,
          BENCH_DATABASE_ADMIN_URL: run.adminUrl,
          BENCH_REDIS_URL: run.redisUrl,
          BENCH_RESULTS_FILE: resultsFile,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    child.on('exit', (code) => {
      let results: Result[] = [];
      try {
        results = (JSON.parse(readFileSync(resultsFile, 'utf8')) as { results: Result[] }).results;
      } catch {
        // asserted below through the exit code and output
      }
      resolve({ code, stdout, stderr, results });
    });
  });
}

describe('npm run bench -- --smoke', () => {
  it('runs every scenario against its baseline and prints a line with figures for each', async () => {
    const runs = await Promise.all(GROUPS.map((names, i) => runSmoke(names, i)));
    for (const [i, { code, stdout, stderr, results }] of runs.entries()) {
      expect(code, `${stdout}\n${stderr.slice(-3000)}`).toBe(0);
      expect(stdout).not.toContain('FAILED');
      for (const scenario of GROUPS[i]!) {
        const lines = results.filter((r) => r.name === scenario || r.name.startsWith(`${scenario} `));
        expect(lines.length, `no result for ${scenario}`).toBeGreaterThan(0);
        for (const r of lines) {
          expect(r.failed).toBeUndefined();
          // Only a missing tool may skip (pgbench for transfers); otherwise both arms measured something.
          if (r.skipped) {
            expect(scenario).toBe('transfers');
            continue;
          }
          expect(r.app, r.name).toBeGreaterThan(0);
          expect(r.baseline, r.name).toBeGreaterThan(0);
          expect(r.ratio, r.name).toBeGreaterThan(0);
          const printed = stdout.split('\n').find((l) => l.startsWith(r.name));
          expect(printed, `printed line of ${r.name}`).toMatch(
            /app [\d,.]+ .* baseline [\d,.]+ +ratio [\d.]+/,
          );
        }
      }
    }
  }, 300_000);
});
