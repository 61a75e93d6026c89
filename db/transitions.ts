/**
 * Every change of a record's status or step goes through a transition: it updates the row only from
 * the statuses it may leave and appends the audit event when something actually changed, in one SQL
 * statement, so there is no window between the two and a retried activity that repeats a
 * transition writes no second event. A step folds its transition into its own statement
 * (`transitionCtes`), so entering a step costs no round trip of its own.
 */
import type { RecordStatus, Step } from '../contract';
import { metricDeltas } from './metrics';
import { sql, type Sql, type SqlClient } from './sql';

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
  /**
   * A step the record passes through on its way to `to` in the same statement (persist, on its way
   * to completed): the trail shows entering it, as if it had been a transition of its own.
   */
  through?: Step;
  /** Within a larger statement: the transition happens only when this holds (it may name the statement's earlier CTEs). */
  onlyIf?: Sql;
}

/**
 * `t_prev` (the row as it was, locked), `t_upd` (the row as it is, when it moved: new_status,
 * new_attempts, from_status, from_step) and `t_ev` (its audit rows), for a `WITH` of a larger statement.
 */
export function transitionCtes(id: string, t: Transition): Sql {
  const keepError = t.lastError === undefined;
  const keepReason = t.reason === undefined;
  const detail = JSON.stringify(t.detail ?? null);
  const through = t.through ?? null;
  return sql`
    t_prev AS (
      SELECT status, step FROM records WHERE id = ${id} AND status = ANY(${[...t.from]}::text[]) AND ${t.onlyIf ?? sql`true`} FOR UPDATE
    ), t_upd AS (
      UPDATE records r SET
        status = ${t.to}::text,
        step = ${t.step}::text,
        attempts = COALESCE(${t.attempts ?? null}::int, r.attempts),
        last_error = CASE WHEN ${keepError}::boolean THEN r.last_error ELSE ${t.lastError ?? null}::text END,
        reason = CASE WHEN ${keepReason}::boolean THEN r.reason ELSE ${t.reason ?? null}::text END,
        updated_at = now()
      FROM t_prev WHERE r.id = ${id}
      RETURNING r.status AS new_status, r.attempts AS new_attempts, t_prev.status AS from_status, t_prev.step AS from_step
    ), t_ev AS (
      INSERT INTO record_events (record_id, from_status, to_status, step, actor, detail, created_at)
      SELECT ${id}, e.from_status, e.to_status, e.step, ${t.actor}::text, ${detail}::jsonb, now()
      FROM t_upd, LATERAL (
        SELECT t_upd.from_status AS from_status, 'processing'::text AS to_status, ${through}::text AS step,
               (t_upd.from_status IS DISTINCT FROM 'processing' OR t_upd.from_step IS DISTINCT FROM ${through}::text) AS emit
        WHERE ${through}::text IS NOT NULL
        UNION ALL
        SELECT CASE WHEN ${through}::text IS NULL THEN t_upd.from_status ELSE 'processing' END, ${t.to}::text, ${t.step}::text,
               CASE WHEN ${through}::text IS NULL
                 THEN t_upd.from_status IS DISTINCT FROM ${t.to}::text OR t_upd.from_step IS DISTINCT FROM ${t.step}::text
                 ELSE ${t.to}::text IS DISTINCT FROM 'processing' OR ${t.step}::text IS DISTINCT FROM ${through}::text END
      ) e
      WHERE e.emit
      RETURNING 1
    ), ${metricDeltas('t_metric', sql`
      SELECT 'records_total', jsonb_build_object('status', v.status), v.delta
      FROM t_upd, LATERAL (VALUES (t_upd.from_status, -1), (t_upd.new_status, 1)) AS v(status, delta)
      WHERE t_upd.from_status IS DISTINCT FROM t_upd.new_status`)}`;
}

/** Returns whether the record was in one of `from` (and so is now in `to`). */
export async function transition(db: SqlClient, id: string, t: Transition): Promise<boolean> {
  const rows = await db.query<{ updated: number }>(sql`WITH ${transitionCtes(id, t)} SELECT (SELECT count(*)::int FROM t_upd) AS updated`);
  return (rows[0]?.updated ?? 0) > 0;
}

export async function appendEvent(
  db: SqlClient,
  id: string,
  event: { status: RecordStatus; step: Step | null; actor: Actor; detail: Record<string, unknown> },
): Promise<void> {
  await db.execute(sql`
    INSERT INTO record_events (record_id, from_status, to_status, step, actor, detail, created_at)
    VALUES (${id}, ${event.status}, ${event.status}, ${event.step}, ${event.actor}, ${JSON.stringify(event.detail)}::jsonb, now())`);
}
