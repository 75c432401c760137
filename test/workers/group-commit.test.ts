import { describe, expect, it } from 'vitest';
import { GroupCommit } from '../../workers/group-commit.ts';

/** A promise with its resolve at hand, to hold a commit open. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { opened, open };
}

describe('GroupCommit', () => {
  it('runs the first item at once and gathers the ones arriving meanwhile into the next commit', async () => {
    const commits: number[][] = [];
    const first = gate();
    const batcher = new GroupCommit(async (items: number[]) => {
      commits.push(items);
      if (commits.length === 1) await first.opened;
    });
    const done = [1, 2, 3, 4].map((n) => batcher.submit(n));
    first.open();
    await Promise.all(done);
    expect(commits).toEqual([[1], [2, 3, 4]]);
  });

  it('with gather, items submitted in one turn of the event loop commit together', async () => {
    const commits: number[][] = [];
    const batcher = new GroupCommit(async (items: number[]) => void commits.push(items), { gather: true });
    await Promise.all([1, 2, 3].map((n) => batcher.submit(n)));
    expect(commits).toEqual([[1, 2, 3]]);
  });

  it('fails every item of a failed commit, and goes on with the next batch', async () => {
    const batcher = new GroupCommit(
      async (items: string[]) => {
        if (items.includes('poison')) throw new Error('bad batch');
      },
      { gather: true },
    );
    const results = await Promise.allSettled(['a', 'poison', 'b'].map((s) => batcher.submit(s)));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'rejected']);
    await expect(batcher.submit('c')).resolves.toBeUndefined();
  });

  it('resolves items after their afterCommit, while the next commit may already run', async () => {
    const events: string[] = [];
    const after = gate();
    const batcher = new GroupCommit(
      async (items: string[]) => {
        events.push(`commit ${items.join()}`);
        return items;
      },
      {
        afterCommit: async (items) => {
          if (items.includes('a')) await after.opened;
          events.push(`after ${items.join()}`);
        },
      },
    );
    const a = batcher.submit('a').then(() => events.push('resolved a'));
    await new Promise((resolve) => setImmediate(resolve));
    await batcher.submit('b');
    events.push('resolved b');
    expect(events).toEqual(['commit a', 'commit b', 'after b', 'resolved b']);
    after.open();
    await a;
    expect(events.slice(-2)).toEqual(['after a', 'resolved a']);
  });
  it('with two lanes, runs two commits at once and gathers the rest for the next free one', async () => {
    const gates = [gate(), gate()];
    let open = 0;
    let most = 0;
    const commits: number[][] = [];
    const batcher = new GroupCommit(
      async (items: number[]) => {
        const mine = commits.push(items) - 1;
        open++;
        most = Math.max(most, open);
        if (mine < 2) await gates[mine]!.opened;
        open--;
      },
      { lanes: 2, maxBatch: 2 },
    );
    const done = [1, 2, 3, 4, 5].map((n) => batcher.submit(n));
    await new Promise((resolve) => setImmediate(resolve));
    // Two commits hold their lanes; the rest waits for one to free up.
    expect(commits).toEqual([[1], [2]]);
    gates[0]!.open();
    await done[0];
    gates[1]!.open();
    await Promise.all(done);
    expect(most).toBe(2);
    expect(commits.flat().sort()).toEqual([1, 2, 3, 4, 5]);
    expect(commits.every((c) => c.length <= 2)).toBe(true);
  });
});
