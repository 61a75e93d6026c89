/** Run by the `reconcile-records` Schedule: one pass of the reconciler (DESIGN G4). */
import { log, proxyActivities } from '@temporalio/workflow';
import type { ReconcileActivities, ReconcileInput, ReconcileResult } from '../contract';

const { reconcile } = proxyActivities<ReconcileActivities>({
  startToCloseTimeout: '5 minutes',
  // The Schedule skips while this run is open, so a pass lost with its worker would hold up the
  // next ones (and the workflow starts they make) until a timeout: the heartbeat's is the short one.
  heartbeatTimeout: '15 seconds',
  retry: { initialInterval: '5 seconds', maximumAttempts: 3 },
});

export async function reconcileRecords(input: ReconcileInput): Promise<ReconcileResult> {
  const result = await reconcile(input);
  if (result.started.length + result.parked.length > 0) log.warn('reconciler repaired records', { ...result });
  return result;
}
