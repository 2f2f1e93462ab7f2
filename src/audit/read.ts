import type { AuditStore } from '../store/store.js';
import type { AuditStream } from '../store/types.js';
import type { AuditLog } from './log.js';

export interface AuditReadDeps {
  store: Pick<AuditStore, 'readTaskAudit' | 'readAudit' | 'appendAudit'>;
  /** Reads first write what is queued, so an admin sees every decision made so far. */
  audit: Pick<AuditLog, 'flush'>;
}

type Row = { id: string; json: string };
const parsed = (r: Row) => ({ id: r.id, ...(JSON.parse(r.json) as { time: number }) });

/**
 * A task's story: its decisions and the refusals about it (kept apart, each bounded on its
 * own), read back as one list. Issued-token events are filed with the token, the rest in
 * batches: order by decision time (a stable sort keeps stream order within a millisecond).
 */
export async function readTaskEvents(deps: AuditReadDeps, txn: string, max: number) {
  await deps.audit.flush(deps.store);
  const [decisions, refusals] = await Promise.all([
    deps.store.readTaskAudit(txn, max, 'decisions'),
    deps.store.readTaskAudit(txn, max, 'refusals'),
  ]);
  return [...decisions.map(parsed), ...refusals.map(parsed)].sort((a, b) => a.time - b.time);
}

/** One page of a global stream after `since`; `next` is the cursor to pass on, null at the end. */
export async function readEventsPage(
  deps: AuditReadDeps,
  stream: AuditStream,
  since: string | undefined,
  limit: number,
) {
  await deps.audit.flush(deps.store);
  const rows = await deps.store.readAudit(since, limit, stream);
  return {
    events: rows.map(parsed),
    next: rows.length === limit ? rows[rows.length - 1]!.id : null,
  };
}
