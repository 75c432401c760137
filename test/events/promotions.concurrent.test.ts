// Promotions of different events that share waitlisted people, at the same time: each notifies its promoted
// in one statement (their unread counters taken in user-id order), so two promotions in opposite join orders
// never deadlock, and every counter ends equal to the unread rows behind it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, type TestContext } from '../helpers/context.ts';
import { createUser, type TestUser } from '../helpers/factories.ts';
import { type Harness, startHarness } from './events-harness.ts';
import { inexactCounters } from './reminder-reads.ts';

let ctx: TestContext;
let h: Harness;

beforeAll(async () => {
  ctx = await createTestContext();
  h = startHarness(ctx);
});
afterAll(async () => {
  await h.close();
  await ctx.close();
});

describe('promotions at the same time', () => {
  it('promote shared waitlists in opposite orders without a deadlock, counters exact', async () => {
    const organizer = await createUser(ctx.db);
    const people: TestUser[] = [];
    for (let i = 0; i < 6; i++) people.push(await createUser(ctx.db));
    const pairs = 4;
    const events: string[][] = [];
    for (let p = 0; p < pairs; p++) {
      const pair: string[] = [];
      for (const order of [people, [...people].reverse()]) {
        const event = await h.createEvent(organizer, { capacity: 1 });
        // The organizer's seat fills it; everyone else queues, in this event's order.
        await h.json('PUT', `/events/${event.id}/participation`, organizer);
        for (const person of order) {
          const [status, state] = await h.json<{ status: string }>(
            'PUT',
            `/events/${event.id}/participation`,
            person,
          );
          expect([status, state.status]).toEqual([200, 'waitlisted']);
        }
        pair.push(event.id);
      }
      events.push(pair);
    }

    // Every pair's two events get seats for everyone at once: two transactions notifying the same six
    // people, one from the first to the last, the other backwards.
    const replies = await Promise.all(
      events
        .flat()
        .map((id) => h.json<{ goingCount: number }>('PATCH', `/events/${id}`, organizer, { capacity: 7 })),
    );
    expect(replies.map(([status, event]) => [status, event.goingCount])).toEqual(replies.map(() => [200, 7]));

    const promoted = await ctx.db
      .selectFrom('notifications')
      .select(['user_id', (eb) => eb.fn.countAll<number>().as('n')])
      .where('type', '=', 'event_promoted')
      .where(
        'user_id',
        'in',
        people.map((p) => p.id),
      )
      .groupBy('user_id')
      .execute();
    expect(promoted.map((row) => Number(row.n))).toEqual(people.map(() => pairs * 2));
    expect(
      await inexactCounters(
        ctx.db,
        people.map((p) => p.id),
      ),
    ).toEqual([]);
  });
});
