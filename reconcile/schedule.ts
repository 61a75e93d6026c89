import type { Client } from '@temporalio/client';
import type { ReconcileInput } from '../contract';
import { ensureSchedule } from '../temporal/schedule';

export const RECONCILE_SCHEDULE_ID = 'reconcile-records';

export function ensureReconcileSchedule(temporal: Client, { taskQueue, everyMs, input }: { taskQueue: string; everyMs: number; input: ReconcileInput }): Promise<'created' | 'exists'> {
  return ensureSchedule(temporal, {
    scheduleId: RECONCILE_SCHEDULE_ID,
    spec: { intervals: [{ every: everyMs }] },
    action: { type: 'startWorkflow', workflowType: 'reconcileRecords', taskQueue, args: [input] },
  });
}
