/**
 * Every change of a record's status or step goes through `transition`: one SQL statement that
 * updates the row only from the statuses it may leave and appends the audit event when something
 * actually changed. One statement means no window between the two, and a retried activity that
 * repeats a transition writes no second event.
 */
import type { RecordStatus, Step } from '../contract';
import type { Prisma } from '../prisma/generated/client';
import type { DbClient } from './client';

export type Actor = 'system' | 'operator';

export interface Transition {
  from: readonly RecordStatus[];
  to: RecordStatus;
  step: Step | null;
  actor: Actor;
  attempts?: number;
  lastError?: string | null;
  /** Why the record is parked or failed (exhausted, low_confidence, the abandon reason…); undefined keeps it. */
  reason?: string | null;
  detail?: Record<string, unknown>;
}

/** Returns whether the record was in one of `from` (and so is now in `to`). */
export async function transition(db: DbClient, id: string, t: Transition): Promise<boolean> {
  const keepError = t.lastError === undefined;
  const keepReason = t.reason === undefined;
  const rows = await db.$queryRaw<Array<{ updated: number }>>`
    WITH prev AS (
      SELECT status, step FROM records WHERE id = ${id} AND status = ANY(${[...t.from]}::text[]) FOR UPDATE
    ), upd AS (
      UPDATE records r SET
        status = ${t.to}::text,
        step = ${t.step}::text,
        attempts = COALESCE(${t.attempts ?? null}::int, r.attempts),
        last_error = CASE WHEN ${keepError}::boolean THEN r.last_error ELSE ${t.lastError ?? null}::text END,
        reason = CASE WHEN ${keepReason}::boolean THEN r.reason ELSE ${t.reason ?? null}::text END,
        updated_at = now()
      FROM prev WHERE r.id = ${id}
      RETURNING prev.status AS from_status, prev.step AS from_step
    ), ins AS (
      INSERT INTO record_events (record_id, from_status, to_status, step, actor, detail, created_at)
      SELECT ${id}, from_status, ${t.to}::text, ${t.step}::text, ${t.actor}::text, ${JSON.stringify(t.detail ?? null)}::jsonb, now()
      FROM upd
      WHERE from_status IS DISTINCT FROM ${t.to}::text OR from_step IS DISTINCT FROM ${t.step}::text
      RETURNING 1
    )
    SELECT (SELECT count(*)::int FROM upd) AS updated`;
  return (rows[0]?.updated ?? 0) > 0;
}

/** A step's attempt starts: the record is `processing` at that step (never leaves a parked or closed record). */
export function enterStep(db: DbClient, id: string, step: Step, attempt: number): Promise<boolean> {
  return transition(db, id, { from: ['received', 'processing'], to: 'processing', step, actor: 'system', attempts: attempt });
}

export async function appendEvent(
  db: DbClient,
  id: string,
  event: { status: RecordStatus; step: Step | null; actor: Actor; detail: Record<string, unknown> },
): Promise<void> {
  await db.recordEvent.create({
    data: { recordId: id, fromStatus: event.status, toStatus: event.status, step: event.step, actor: event.actor, detail: event.detail as Prisma.InputJsonObject },
  });
}
