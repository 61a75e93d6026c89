/** Run by the `inference-health` Schedule every minute: one deep health probe on a worker (DESIGN §13). */
import { proxyActivities } from '@temporalio/workflow';
import type { Activities } from '../activities';
import type { InferenceHealth } from '../contract';

// One try: a probe is a sample, and the next minute's run is its retry. The probe itself ends at
// HEALTH_LATENCY_MS (at most 50 s), well inside this timeout.
const { probeInference } = proxyActivities<Activities>({ startToCloseTimeout: '2 minutes', retry: { maximumAttempts: 1 } });

export async function inferenceHealth(): Promise<InferenceHealth> {
  return probeInference();
}
