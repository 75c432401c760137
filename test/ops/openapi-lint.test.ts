// The served OpenAPI document passes Redocly's recommended ruleset: no error, and no warning beyond the
// ones the project keeps on purpose (each listed here with its reason, and in the README).
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createInProcessApp, type InProcessApp } from '../helpers/in-process-app.ts';

const run = promisify(execFile);
const REDOCLY = resolve('node_modules/@redocly/cli/bin/cli.js');

/** Warnings kept on purpose: rule → the JSON pointers where it may fire, and why. */
const KEPT: Record<string, { pointers: string[]; reason: string }> = {
  'info-license': {
    pointers: ['#/info'],
    reason: 'the project has not chosen a license (the package is private)',
  },
  'operation-4xx-response': {
    pointers: ['/health', '/ready', '/metrics', '/docs', '/api/v1/openapi.json'].map(
      (path) => `#/paths/${path.replaceAll('/', '~1')}/get/responses`,
    ),
    reason: 'operational GETs take no input, so no 4xx is possible; inventing one would mislead',
  },
  'operation-2xx-response': {
    pointers: ['#/paths/~1api~1v1~1me~1exports~1{id}~1download/get/responses'],
    reason: 'the download answers 302 to a presigned URL (API.md), never a 2xx of its own',
  },
};

interface Problem {
  ruleId: string;
  severity: 'error' | 'warn';
  message: string;
  location?: Array<{ pointer?: string }>;
}

let ctx: TestContext;
let served: InProcessApp;
let dir: string;

beforeAll(async () => {
  ctx = await createTestContext();
  // A real-looking public origin: a localhost PUBLIC_URL (development) draws no-server-example.com.
  served = createInProcessApp(ctx, {}, { PUBLIC_URL: 'https://plaza.test' });
  dir = await mkdtemp(join(tmpdir(), 'plaza-openapi-lint-'));
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await served.close();
  await ctx.close();
});

async function lint(): Promise<Problem[]> {
  const res = await served.app.request('/api/v1/openapi.json');
  expect(res.status).toBe(200);
  const file = join(dir, 'openapi.json');
  await writeFile(file, await res.text());
  // Exit 1 on errors: the JSON report is on stdout either way.
  const { stdout } = await run(process.execPath, [REDOCLY, 'lint', file, '--format=json'], {
    cwd: dir,
    env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    maxBuffer: 16 * 1024 * 1024,
  }).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
  const report = JSON.parse(stdout) as { totals?: { errors: number }; problems: Problem[] };
  // A report, not an empty run: the totals are there whatever the outcome.
  expect(report.totals).toMatchObject({ errors: expect.any(Number) });
  return report.problems;
}

describe('OpenAPI document lint (Redocly recommended)', () => {
  it('has no errors and no warnings but the kept ones', async () => {
    const problems = await lint();
    const unexplained = problems
      .filter((p) => {
        const pointer = p.location?.[0]?.pointer ?? '';
        return p.severity === 'error' || !KEPT[p.ruleId]?.pointers.includes(pointer);
      })
      .map((p) => `${p.severity} ${p.ruleId} ${p.location?.[0]?.pointer ?? ''}: ${p.message}`);
    expect(unexplained).toEqual([]);
  });
});
