/**
 * The baseline: the pipeline's shape with nothing in it. Three no-op activities under the
 * pipeline's names, queues, timeouts and retry policies, and no search attributes, queries,
 * signals or database: what Temporal, this machine and these worker options allow at best.
 * Bundled on its own (bench/environment.ts), never with workflows/.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { ProcessRecordInput } from '../../contract';
import { activityOptionsFrom } from '../../contract/retry';

/** The no-op activities both baselines call, under the pipeline's names (dev/bin/bench-baseline-worker.ts). */
export interface NoopActivities {
  charge(id: string): Promise<void>;
  infer(id: string): Promise<void>;
  persist(id: string): Promise<void>;
}

export async function baselineRecord({ id, pipeline }: ProcessRecordInput): Promise<string> {
  const [primary] = pipeline.providers;
  if (!primary) throw new Error('the baseline needs one provider route');
  await proxyActivities<NoopActivities>(activityOptionsFrom(pipeline.steps.charge)).charge(id);
  await proxyActivities<NoopActivities>(activityOptionsFrom(primary.retry, { taskQueue: primary.taskQueue })).infer(id);
  await proxyActivities<NoopActivities>(activityOptionsFrom(pipeline.steps.persist)).persist(id);
  return id;
}
