/**
 * The reconciler's one activity: find records whose row and workflow disagree, repair what is
 * safe, and park the rest where an operator sees them.
 *
 * Safe: a `received` row whose workflow was never started (the ingest died between the row and
 * the start) gets its start now; the start is idempotent. Not safe: a `processing` row whose
 * workflow was closed from outside (terminated, timed out): starting a second run would break
 * G1, so the record is parked in `needs_investigation` with the reason.
 */
import { Context } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import pLimit from 'p-limit';
import type { ReconcileActivities, ReconcileInput, ReconcileResult, Step } from '../contract';
import { sql, type Sql, type SqlClient } from '../db/sql';
import { transition } from '../db/transitions';
import type { RecordStarter, StartMemo } from '../ingest';
import { findStuckRecords, type StuckRecord } from './stuck';

const REPAIRS_AT_ONCE = 16;

export function createReconcileActivities({ db, temporal, start }: { db: SqlClient; temporal: Client; start: RecordStarter }): ReconcileActivities {
  /** The record's row, which the reconciler only reaches from a row it has just listed. */
  async function rowOf<Row>(id: string, columns: Sql): Promise<Row> {
    const [row] = await db.query<Row>(sql`SELECT ${columns} FROM records WHERE id = ${id}`);
    if (!row) throw new Error(`record ${id} vanished while the reconciler repaired it`);
    return row;
  }

  async function park(id: string, workflow: string): Promise<boolean> {
    const row = await rowOf<{ step: Step | null }>(id, sql`step`);
    return transition(db, id, {
      from: ['received', 'processing'],
      to: 'needs_investigation',
      step: row.step,
      actor: 'system',
      lastError: `workflow ${workflow}: no run is left to finish this record; repair it by hand`,
      reason: 'workflow_closed',
      detail: { reason: 'workflow_closed', workflow, by: 'reconciler' },
    });
  }

  async function repair(record: StuckRecord, result: ReconcileResult): Promise<void> {
    if (record.status === 'received' && record.workflow === 'missing') {
      const row = await rowOf<{ account_id: string; memo: StartMemo | null; source: string }>(record.id, sql`account_id, memo, source`);
      await start(record.id, row.account_id, row.source, row.memo ?? undefined);
      result.started.push(record.id);
    } else if (await park(record.id, record.workflow)) {
      result.parked.push(record.id);
    }
    Context.current().heartbeat();
  }

  async function reconcile({ quietForMs, limit }: ReconcileInput): Promise<ReconcileResult> {
    const stuck = await findStuckRecords(db, temporal, { quietForMs, limit });
    Context.current().heartbeat();
    const result: ReconcileResult = { checked: stuck.length, started: [], parked: [] };
    // Many at once: an API that died with its starts queued leaves hundreds, and a long pass is one a worker crash can lose.
    const atOnce = pLimit(REPAIRS_AT_ONCE);
    await Promise.all(stuck.map((record) => atOnce(() => repair(record, result))));
    return result;
  }

  return { reconcile };
}
