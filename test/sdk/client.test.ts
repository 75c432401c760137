import { createClient, PlazaError, type Post } from '@plaza/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createUser } from '../helpers/factories.ts';
import { type PlazaProcess, startServer, startWorkers, stopAll } from '../helpers/processes.ts';
import { type SmtpSink, startSmtpSink } from '../helpers/smtp-sink.ts';
import { type Balancer, startBalancer } from '../helpers/tcp-balancer.ts';
import { waitFor } from '../helpers/wait.ts';

let ctx: TestContext;
let a: PlazaProcess;
let b: PlazaProcess;
let workers: PlazaProcess;
let sink: SmtpSink;
let balancer: Balancer;

beforeAll(async () => {
  ctx = await createTestContext({ POSTS_PER_MINUTE: '10000' });
  sink = await startSmtpSink();
  [a, b, workers] = await Promise.all([
    startServer(ctx.env, 'sdk-a'),
    startServer(ctx.env, 'sdk-b'),
    startWorkers({ ...ctx.env, SMTP_URL: sink.url }, ['email']),
  ]);
  balancer = await startBalancer([a.port, b.port]);
});

afterAll(async () => {
  await balancer?.close();
  await stopAll([a, b, workers]);
  await sink?.close();
  await ctx?.close();
});

describe('@plaza/client', () => {
  it('registers with a solved CAPTCHA, verifies by the emailed code and acts with typed results', async () => {
    const client = createClient({ url: a.url });
    const username = `sdk${Date.now().toString(36).slice(-6)}`;
    const { user } = await client.auth.register({
      email: `${username}@example.test`,
      username,
      password: 'long enough pw',
    });
    expect(user.username).toBe(username);
    const mail = await sink.waitForMessage(`${username}@example.test`);
    const session = await client.auth.verifyEmail(user.email, /\b(\d{6})\b/.exec(mail.text)![1]!);
    expect(session.token).toContain('.');
    expect((await client.me()).emailVerified).toBe(true);

    const post: Post = await client.posts.create('typed hello');
    expect(post).toMatchObject({ body: 'typed hello', likeCount: 0, author: { username } });
    expect(await client.posts.like(post.id)).toEqual({ liked: true, likeCount: 1 });
    const page = await client.posts.list({ limit: 5 });
    expect(page.items[0]?.id).toBe(post.id);
    // The page's seq is the newest *relayed* one: it follows the post's event a moment after the commit.
    const relayed = await waitFor(async () => {
      const next = await client.posts.list({ limit: 5 });
      return next.seq > 0 ? next : null;
    });
    expect(relayed.seq).toBeGreaterThan(0);
  });

  it('turns error answers into PlazaError with the contract code', async () => {
    const anonymous = createClient({ url: a.url });
    const error = await anonymous.posts.create('nope').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PlazaError);
    expect((error as PlazaError).code).toBe('unauthenticated');
    expect((error as PlazaError).status).toBe(401);
    const missing = await anonymous.posts
      .get('01890000-0000-7000-8000-000000000000')
      .catch((e: unknown) => e);
    expect((missing as PlazaError).code).toBe('not_found');
  });

  it('follows a snapshot live, resumes after losing its instance and delivers each push once, in order', async () => {
    const author = await createUser(ctx.db);
    const writer = createClient({ url: b.url, token: author.token });
    await writer.posts.create('before the snapshot');

    // The reader goes through the balancer: its first connection lands on A.
    const reader = createClient({ url: balancer.url, live: { transports: ['websocket'] } });
    const snapshot = await reader.posts.list({ limit: 20 });
    const seen: string[] = [];
    const seqs: number[] = [];
    await reader.subscribe(
      'feed',
      {
        'post:created': ({ post }, push) => {
          // A push may repeat what the snapshot already showed (API.md): apply by id, as pages do.
          if (snapshot.items.some((item) => item.id === post.id)) return;
          seen.push(post.body);
          seqs.push(push.seq);
        },
      },
      { since: snapshot.seq },
    );

    const total = 120;
    const bodies = Array.from({ length: total }, (_, i) => `live ${i}`);
    for (let i = 0; i < total; i += 6) {
      await Promise.all(bodies.slice(i, i + 6).map((body) => writer.posts.create(body)));
      if (i === 48) await a.kill(); // the reader's instance dies mid-stream
    }
    await waitFor(() => seen.length >= total, {
      timeoutMs: 20_000,
      what: `all ${total} posts (have ${seen.length})`,
    });
    expect(new Set(seen.filter((body) => body.startsWith('live ')))).toEqual(new Set(bodies));
    expect(seen.filter((body) => body.startsWith('live '))).toHaveLength(total);
    expect(new Set(seqs).size).toBe(seqs.length);
    expect([...seqs].sort((x, y) => x - y)).toEqual(seqs);
    expect(['resumed', 'connected']).toContain(reader.live.status);
    reader.close();
  });
});
