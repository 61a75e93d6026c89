/** Run by the `reconcile-records` Schedule: one pass of the reconciler (DESIGN G4). */
import { log, proxyActivities } from '@temporalio/workflow';
import type { ReconcileActivities, ReconcileInput, ReconcileResult } from '../contract';

const { reconcile } = proxyActivities<ReconcileActivities>({
  startToCloseTimeout: '5 minutes',
  retry: { initialInterval: '5 seconds', maximumAttempts: 3 },
});

export async function reconcileRecords(input: ReconcileInput): Promise<ReconcileResult> {
  const result = await reconcile(input);
  if (result.started.length + result.parked.length > 0) log.warn('reconciler repaired records', { ...result });
  return result;
}
