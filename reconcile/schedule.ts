import { ScheduleAlreadyRunning, ScheduleOverlapPolicy, type Client } from '@temporalio/client';
import type { reconcileRecords } from '../workflows';
import type { ReconcileInput } from '../contract';

export const RECONCILE_SCHEDULE_ID = 'reconcile-records';

/** Created at worker start; a second worker (or a restart) finds it there and changes nothing. */
export async function ensureReconcileSchedule(temporal: Client, { taskQueue, everyMs, input }: { taskQueue: string; everyMs: number; input: ReconcileInput }): Promise<'created' | 'exists'> {
  try {
    await temporal.schedule.create<typeof reconcileRecords>({
      scheduleId: RECONCILE_SCHEDULE_ID,
      spec: { intervals: [{ every: everyMs }] },
      action: { type: 'startWorkflow', workflowType: 'reconcileRecords', taskQueue, args: [input] },
      policies: { overlap: ScheduleOverlapPolicy.SKIP },
    });
    return 'created';
  } catch (err) {
    if (err instanceof ScheduleAlreadyRunning) return 'exists';
    throw err;
  }
}
