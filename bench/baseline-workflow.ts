/**
 * The baseline: the pipeline's shape with nothing in it. Three no-op activities under the
 * pipeline's names, queues, timeouts and retry policies, and no search attributes, queries,
 * signals or database: what Temporal, this machine and these worker options allow at best.
 * Bundled on its own (bench/environment.ts), never with workflows/.
 */
import { proxyActivities, type ActivityOptions } from '@temporalio/workflow';
import type { ProcessRecordInput, RetryOptions } from '../contract';

interface NoopActivities {
  charge(id: string): Promise<void>;
  infer(id: string): Promise<void>;
  persist(id: string): Promise<void>;
}

// The pipeline's optionsFrom (workflows/processRecord.ts) minus its summary, which is UI-only.
function optionsFrom(retry: RetryOptions, taskQueue?: string): ActivityOptions {
  return {
    taskQueue,
    startToCloseTimeout: retry.startToCloseTimeoutMs,
    retry: {
      initialInterval: retry.initialIntervalMs,
      backoffCoefficient: retry.backoffCoefficient,
      maximumInterval: retry.maximumIntervalMs,
      ...(retry.maximumAttempts > 0 ? { maximumAttempts: retry.maximumAttempts } : {}),
    },
  };
}

export async function baselineRecord({ id, pipeline }: ProcessRecordInput): Promise<string> {
  const [primary] = pipeline.providers;
  if (!primary) throw new Error('the baseline needs one provider route');
  await proxyActivities<NoopActivities>(optionsFrom(pipeline.steps.charge)).charge(id);
  await proxyActivities<NoopActivities>(optionsFrom(primary.retry, primary.taskQueue)).infer(id);
  await proxyActivities<NoopActivities>(optionsFrom(pipeline.steps.persist)).persist(id);
  return id;
}
