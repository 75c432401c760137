// `npm run cli -- media reconcile [--dry-run]`: the store and the media table told apart after a crash, a
// restored backup or a hand-edited bucket. Finds stored objects that no media row names (nor a deleted one
// still queued in media_garbage) and ready media whose display file is gone; fixes them unless dry.
import type { Db } from '../db/database.ts';
import type { MediaAttachment } from '../db/schema.ts';
import type { MediaStore } from './media.store.ts';

/** An object this young may belong to an upload in progress (or a worker writing variants): left alone. */
export const RECONCILE_GRACE_MS = 60 * 60_000;
export const MISSING_FILES_REASON = 'its files are missing from storage';

export type ReconcileFinding =
  | { kind: 'orphan-object'; key: string; bytes: number; lastModified: Date }
  | { kind: 'missing-files'; mediaId: string; displayKey: string | null; attachedAs: MediaAttachment | null };

export interface ReconcileReport {
  dryRun: boolean;
  findings: ReconcileFinding[];
  /** Objects under `uploads/` and `media/` looked at. */
  objectsSeen: number;
  /** Unknown objects younger than the grace period, not counted as orphans. */
  recentSkipped: number;
  readyRowsChecked: number;
  /** What the real run did (0 on a dry run). */
  objectsRemoved: number;
  rowsMarkedFailed: number;
  /** Broken rows on a post, cover or avatar: reported only (see reconcileMedia). */
  attachedLeft: number;
  /** Deleted media whose files the collector has not removed yet. */
  garbageQueued: number;
}

const PREFIXES = ['uploads/', 'media/'] as const;
const LOOKUP_BATCH = 1000;
const ROW_PAGE = 500;
const STAT_CONCURRENCY = 8;

/** The media token an object key belongs to: `uploads/<token>` or `media/<token>/<variant>`. */
export function tokenOfKey(key: string): string | undefined {
  for (const prefix of PREFIXES) {
    if (key.startsWith(prefix)) return key.slice(prefix.length).split('/')[0] || undefined;
  }
  return undefined;
}

/**
 * Without `dryRun`: orphan objects are deleted; unattached ready media whose display file is missing are
 * marked `failed` (the owner sees why, the sweep deletes them after 24 h). Attached ones cannot be failed
 * (a post's photo, a cover or an avatar is `ready` by constraint) and are only reported: removing them
 * would change a user's post or profile behind their back, which is for a moderator or the owner to do.
 */
export async function reconcileMedia(
  db: Db,
  store: Pick<MediaStore, 'list' | 'stat' | 'delete'>,
  options: { dryRun: boolean; now?: Date; onFinding?: (finding: ReconcileFinding) => void },
): Promise<ReconcileReport> {
  const now = options.now ?? new Date();
  const report: ReconcileReport = {
    dryRun: options.dryRun,
    findings: [],
    objectsSeen: 0,
    recentSkipped: 0,
    readyRowsChecked: 0,
    objectsRemoved: 0,
    rowsMarkedFailed: 0,
    attachedLeft: 0,
    garbageQueued: 0,
  };
  const found = (finding: ReconcileFinding) => {
    report.findings.push(finding);
    options.onFinding?.(finding);
  };

  // 1. Objects whose token no row knows, looked up a batch of listed objects at a time.
  const orphanKeys: string[] = [];
  let pending: Array<{ key: string; bytes: number; lastModified: Date; token: string }> = [];
  const settle = async () => {
    if (pending.length === 0) return;
    const tokens = [...new Set(pending.map((object) => object.token))];
    const known = new Set(
      [
        ...(await db.selectFrom('media').select('key').where('key', 'in', tokens).execute()),
        ...(await db.selectFrom('media_garbage').select('key').where('key', 'in', tokens).execute()),
      ].map((row) => row.key),
    );
    for (const object of pending) {
      if (known.has(object.token)) continue;
      if (now.getTime() - object.lastModified.getTime() < RECONCILE_GRACE_MS) {
        report.recentSkipped += 1;
        continue;
      }
      orphanKeys.push(object.key);
      found({
        kind: 'orphan-object',
        key: object.key,
        bytes: object.bytes,
        lastModified: object.lastModified,
      });
    }
    pending = [];
  };
  for (const prefix of PREFIXES) {
    for await (const object of store.list(prefix)) {
      report.objectsSeen += 1;
      const token = tokenOfKey(object.key);
      if (token) {
        pending.push({ ...object, token });
        if (pending.length >= LOOKUP_BATCH) await settle();
      } else if (now.getTime() - object.lastModified.getTime() >= RECONCILE_GRACE_MS) {
        // Not the store's layout (`uploads/x/y`, a hand-made file): no row can name it.
        orphanKeys.push(object.key);
        found({
          kind: 'orphan-object',
          key: object.key,
          bytes: object.bytes,
          lastModified: object.lastModified,
        });
      }
    }
  }
  await settle();

  // 2. Ready rows whose display file is gone (read after the listing: a row that became ready meanwhile
  // is checked against the store as it is now).
  const brokenUnattached: string[] = [];
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const rows = await db
      .selectFrom('media')
      .select(['id', 'variants', 'attached_as'])
      .where('status', '=', 'ready')
      .where('id', '>', after)
      .orderBy('id')
      .limit(ROW_PAGE)
      .execute();
    if (rows.length === 0) break;
    after = rows.at(-1)!.id;
    report.readyRowsChecked += rows.length;
    for (let start = 0; start < rows.length; start += STAT_CONCURRENCY) {
      const slice = rows.slice(start, start + STAT_CONCURRENCY);
      const present = await Promise.all(
        slice.map(async (row) => {
          const key = row.variants?.display?.key;
          return key ? (await store.stat(key)) !== undefined : false;
        }),
      );
      slice.forEach((row, i) => {
        if (present[i]) return;
        found({
          kind: 'missing-files',
          mediaId: row.id,
          displayKey: row.variants?.display?.key ?? null,
          attachedAs: row.attached_as,
        });
        if (row.attached_as) report.attachedLeft += 1;
        else brokenUnattached.push(row.id);
      });
    }
  }

  const garbage = await db
    .selectFrom('media_garbage')
    .select((eb) => eb.fn.countAll<number>().as('count'))
    .executeTakeFirstOrThrow();
  report.garbageQueued = Number(garbage.count);

  if (options.dryRun) return report;

  await store.delete(orphanKeys);
  report.objectsRemoved = orphanKeys.length;
  for (let start = 0; start < brokenUnattached.length; start += ROW_PAGE) {
    const ids = brokenUnattached.slice(start, start + ROW_PAGE);
    const updated = await db
      .updateTable('media')
      .set({ status: 'failed', failure_reason: MISSING_FILES_REASON })
      .where('id', 'in', ids)
      // Attached since it was read: it stays ready (and is reported on the next run).
      .where('attached_as', 'is', null)
      .where('status', '=', 'ready')
      .executeTakeFirst();
    report.rowsMarkedFailed += Number(updated.numUpdatedRows);
  }
  return report;
}

/** One line per finding, for the CLI. */
export function describeFinding(finding: ReconcileFinding, dryRun: boolean): string {
  if (finding.kind === 'orphan-object') {
    return `orphan object ${finding.key} (${finding.bytes} bytes, ${finding.lastModified.toISOString()}): no media row names it${dryRun ? '' : ' — removed'}`;
  }
  const what = finding.displayKey ? `${finding.displayKey} is missing` : 'it has no display variant';
  if (finding.attachedAs) {
    return `media ${finding.mediaId} (ready, attached as ${finding.attachedAs}): ${what} — left as is (delete or replace it by hand)`;
  }
  return `media ${finding.mediaId} (ready, unattached): ${what}${dryRun ? '' : ` — marked failed ("${MISSING_FILES_REASON}")`}`;
}

export function describeReport(report: ReconcileReport): string {
  const orphans = report.findings.filter((f) => f.kind === 'orphan-object').length;
  const broken = report.findings.length - orphans;
  const lines = [
    `${report.objectsSeen} stored object(s) and ${report.readyRowsChecked} ready media checked: ${orphans} orphan object(s), ${broken} media with missing files.`,
  ];
  if (report.recentSkipped > 0) {
    lines.push(
      `${report.recentSkipped} unknown object(s) younger than an hour left alone (uploads may be in progress).`,
    );
  }
  if (report.dryRun) {
    if (report.findings.length > 0) lines.push('Dry run: nothing changed. Run without --dry-run to fix.');
  } else {
    lines.push(
      `Removed ${report.objectsRemoved} object(s); marked ${report.rowsMarkedFailed} media failed; left ${report.attachedLeft} attached one(s) as they are.`,
    );
  }
  if (report.garbageQueued > 0) {
    lines.push(
      `${report.garbageQueued} deleted media still queued for file removal (the workers' media-collect).`,
    );
  }
  return lines.join('\n');
}
