import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createUser } from '../helpers/factories.ts';
import { spawnPlaza } from '../helpers/processes.ts';

let ctx: TestContext;

beforeAll(async () => {
  ctx = await createTestContext();
});

afterAll(async () => {
  await ctx.close();
});

async function cli(...args: string[]) {
  const p = spawnPlaza('cli', 'server/cli.ts', ctx.env, args);
  const exit = await p.exited;
  return {
    code: exit.code,
    stdout: p.logs.map((l) => String(l.raw ?? JSON.stringify(l))).join('\n'),
    stderr: p.stderr,
  };
}

const roleOf = async (id: string) =>
  (await ctx.db.selectFrom('users').select('role').where('id', '=', id).executeTakeFirstOrThrow()).role;

describe('npm run cli -- grant-role', () => {
  it('grants a role to a user named in any case and exits 0', async () => {
    const user = await createUser(ctx.db);
    const result = await cli('grant-role', user.username.toUpperCase(), 'admin');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`${user.username} is now admin`);
    expect(await roleOf(user.id)).toBe('admin');
  });

  it('exits 1 for an unknown user', async () => {
    const result = await cli('grant-role', 'nobody_at_all', 'moderator');
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('No user named "nobody_at_all"');
  });

  it('exits 2 with usage for an unknown role, missing arguments or an unknown command', async () => {
    const user = await createUser(ctx.db);
    const badRole = await cli('grant-role', user.username, 'king');
    expect(badRole.code).toBe(2);
    expect(badRole.stderr).toContain('Unknown role "king"');
    expect(badRole.stderr).toContain('Usage: npm run cli');
    expect((await cli('grant-role', user.username)).code).toBe(2);
    expect((await cli('revoke-everything')).code).toBe(2);
    expect(await roleOf(user.id)).toBe('member');
  });
});
