/**
 * The reconciler's one activity: find records whose row and workflow disagree, repair what is
 * safe, and park the rest where an operator sees them.
 *
 * Safe: a `received` row whose workflow was never started (the ingest died between the row and
 * the start) gets its start now; the start is idempotent. Not safe: a `processing` row whose
 * workflow was closed from outside (terminated, timed out): starting a second run would break
 * G1, so the record is parked in `needs_investigation` with the reason.
 */
import type { Client } from '@temporalio/client';
import type { ReconcileActivities, ReconcileInput, ReconcileResult, Step } from '../contract';
import type { Db } from '../db/client';
import { transition } from '../db/transitions';
import type { RecordStarter, StartMemo } from '../ingest';
import { findStuckRecords } from './stuck';

export function createReconcileActivities({ db, temporal, start }: { db: Db; temporal: Client; start: RecordStarter }): ReconcileActivities {
  async function park(id: string, workflow: string): Promise<boolean> {
    const row = await db.record.findUniqueOrThrow({ where: { id }, select: { step: true } });
    return transition(db, id, {
      from: ['received', 'processing'],
      to: 'needs_investigation',
      step: row.step as Step | null,
      actor: 'system',
      lastError: `workflow ${workflow}: no run is left to finish this record; repair it by hand`,
      reason: 'workflow_closed',
      detail: { reason: 'workflow_closed', workflow, by: 'reconciler' },
    });
  }

  async function reconcile({ quietForMs, limit }: ReconcileInput): Promise<ReconcileResult> {
    const stuck = await findStuckRecords(db, temporal, { quietForMs, limit });
    const result: ReconcileResult = { checked: stuck.length, started: [], parked: [] };
    for (const record of stuck) {
      if (record.status === 'received' && record.workflow === 'missing') {
        const row = await db.record.findUniqueOrThrow({ where: { id: record.id }, select: { accountId: true, memo: true, source: true } });
        await start(record.id, row.accountId, row.source, (row.memo ?? undefined) as StartMemo | undefined);
        result.started.push(record.id);
      } else if (await park(record.id, record.workflow)) {
        result.parked.push(record.id);
      }
    }
    return result;
  }

  return { reconcile };
}
