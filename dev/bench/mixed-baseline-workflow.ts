/**
 * The mixed baseline: the lean core's shape with nothing in it. Charge and persist as no-op local
 * activities with the pipeline's retry policies, the model call a no-op regular activity on the
 * primary provider's queue, and no search attributes, patches, queries, signals or database: what
 * Temporal allows at best for the way the pipeline now runs its steps. Bundled on its own
 * (bench/environment.ts), never with workflows/ nor with the three-activity baseline.
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { ProcessRecordInput } from '../../contract';
import { activityOptionsFrom } from '../../contract/retry';
import type { NoopActivities } from './baseline-workflow';

export async function mixedBaselineRecord({ id, pipeline }: ProcessRecordInput): Promise<string> {
  const [primary] = pipeline.providers;
  if (!primary) throw new Error('the baseline needs one provider route');
  await proxyLocalActivities<NoopActivities>(activityOptionsFrom(pipeline.steps.charge)).charge(id);
  await proxyActivities<NoopActivities>(activityOptionsFrom(primary.retry, { taskQueue: primary.taskQueue })).infer(id);
  await proxyLocalActivities<NoopActivities>(activityOptionsFrom(pipeline.steps.persist)).persist(id);
  return id;
}
