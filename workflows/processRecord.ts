/**
 * One record, one workflow (`record-<id>`): charge → inference → persist. A step that exhausts its
 * retries, fails for good, or yields a low-confidence answer parks the record in
 * `needs_investigation` and waits, open, for an operator's `resolve` signal.
 */
import {
  ActivityFailure,
  allHandlersFinished,
  condition,
  log,
  proxyActivities,
  setHandler,
  upsertSearchAttributes,
  type ActivityOptions,
} from '@temporalio/workflow';
import { ApplicationFailure, RetryState } from '@temporalio/common';
import type { Activities } from '../activities';
import {
  activityOptionsFrom,
  idempotencyKey,
  recordStatusKey,
  recordStepKey,
  makeResolveSchema,
  resolveSignal,
  statusQuery,
  type Concern,
  type PipelineOptions,
  type ProcessRecordInput,
  type RecordStatus,
  type RecordStatusView,
  type ResolveAction,
  type RetryOptions,
  type Step,
  type StoredOutput,
} from '../contract';

const ABANDONED = Symbol('abandoned');
/** The step failed as seen from here, but its commit landed: the record is complete (the ambiguous case of persist). */
const ALREADY_COMPLETED = Symbol('already completed');

function activitiesFor(id: string, pipeline: PipelineOptions) {
  const options = (retry: typeof pipeline.steps.charge, summary: string, taskQueue?: string): ActivityOptions =>
    activityOptionsFrom(retry, { summary, taskQueue });
  return {
    charge: proxyActivities<Activities>(options(pipeline.steps.charge, `charge ${idempotencyKey.charge(id)}`)).charge,
    persist: proxyActivities<Activities>(options(pipeline.steps.persist, `persist ${idempotencyKey.persist(id)}`)).persist,
    lifecycle: proxyActivities<Activities>(options(pipeline.steps.lifecycle, `record ${id}: status change`)),
    providers: pipeline.providers.map((route) => ({
      name: route.name,
      infer: proxyActivities<Activities>(options(route.retry, `inference ${idempotencyKey.inference(id)} on ${route.name}`, route.taskQueue)).infer,
    })),
  };
}

/** The whole failure chain in one concern: the activity's retry state, and the ApplicationFailure's message and type. */
function concernFrom(step: Step, failure: ActivityFailure): Concern {
  const cause = failure.cause;
  return {
    step,
    reason: failure.retryState === RetryState.MAXIMUM_ATTEMPTS_REACHED ? 'exhausted' : 'non_retryable',
    lastError: cause?.message ?? failure.message,
    failureType: cause instanceof ApplicationFailure ? (cause.type ?? null) : (cause?.name ?? null),
  };
}

export async function processRecord({ id, pipeline }: ProcessRecordInput): Promise<RecordStatusView> {
  const acts = activitiesFor(id, pipeline);
  const view: RecordStatusView = { id, status: 'received', step: null, attempts: 0, lastError: null, investigation: null };
  let resolution: ResolveAction | undefined;
  let operatorAcceptedOutput = false;

  setHandler(statusQuery, () => view);
  setHandler(resolveSignal, async (payload: unknown) => {
    const parsed = makeResolveSchema().safeParse(payload);
    if (parsed.success && view.status === 'needs_investigation' && !resolution) {
      resolution = parsed.data;
      return;
    }
    const problem = parsed.success
      ? `record is ${view.status}, not waiting for an operator`
      : parsed.error.issues.map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`).join('; ');
    await acts.lifecycle.recordRejectedSignal({ id, status: view.status, step: view.step, payload, problem });
  });

  function moveTo(status: RecordStatus, step: Step | null): void {
    view.status = status;
    view.step = step;
    upsertSearchAttributes([
      { key: recordStatusKey, value: status },
      { key: recordStepKey, value: step },
    ]);
  }

  async function waitForOperator(concern: Concern, maximumAttempts: number): Promise<ResolveAction | typeof ALREADY_COMPLETED> {
    // An exhausted step made every attempt its policy allows, whether or not each got as far as recording itself.
    const made = concern.reason === 'exhausted' ? maximumAttempts : null;
    const { attempts, status } = await acts.lifecycle.park({ id, investigation: concern, attempts: made });
    if (status === 'completed') {
      log.info('step failed after its commit landed; the record is complete', { recordId: id, step: concern.step });
      return ALREADY_COMPLETED;
    }
    log.warn('record needs investigation', { recordId: id, ...concern, attempts });
    view.investigation = { ...concern, attempts };
    view.attempts = attempts;
    view.lastError = concern.lastError;
    moveTo('needs_investigation', concern.step);
    await condition(() => resolution !== undefined);
    const action = resolution as ResolveAction;
    log.info('operator resolved record', { recordId: id, step: concern.step, action: action.action });
    resolution = undefined;
    view.investigation = null;
    return action;
  }

  async function runStep<T>(
    step: Step,
    retry: RetryOptions,
    run: () => Promise<T>,
    check?: (result: T) => Concern | undefined,
  ): Promise<T | typeof ABANDONED | typeof ALREADY_COMPLETED> {
    for (;;) {
      moveTo('processing', step);
      let concern: Concern | undefined;
      try {
        const result = await run();
        concern = check?.(result);
        if (!concern) return result;
      } catch (err) {
        if (!(err instanceof ActivityFailure)) throw err;
        concern = concernFrom(step, err);
      }
      const action = await waitForOperator(concern, retry.maximumAttempts);
      if (action === ALREADY_COMPLETED) return action;
      if (action.action === 'abandon') {
        await acts.lifecycle.abandon({ id, reason: action.reason });
        moveTo('failed', null);
        return ABANDONED;
      }
      if (concern.reason === 'low_confidence') operatorAcceptedOutput = true;
      await acts.lifecycle.resume({ id, step });
    }
  }

  async function inferWithFallback(): Promise<StoredOutput> {
    let lastFailure: unknown;
    for (const [index, route] of acts.providers.entries()) {
      try {
        return await route.infer({ id, provider: route.name, canSkip: index < acts.providers.length - 1 });
      } catch (err) {
        if (!(err instanceof ActivityFailure)) throw err;
        lastFailure = err;
      }
    }
    throw lastFailure;
  }

  const lowConfidence = (stored: StoredOutput): Concern | undefined =>
    stored.confidence < pipeline.confidenceThreshold && !operatorAcceptedOutput
      ? { step: 'inference', reason: 'low_confidence', lastError: `confidence ${stored.confidence} is below ${pipeline.confidenceThreshold}`, failureType: null }
      : undefined;

  const steps: Array<() => Promise<unknown>> = [
    () => runStep('charge', pipeline.steps.charge, () => acts.charge({ id })),
    // The chain is exhausted when its last provider is.
    () => runStep('inference', pipeline.providers[pipeline.providers.length - 1]!.retry, inferWithFallback, lowConfidence),
    () => runStep('persist', pipeline.steps.persist, () => acts.persist({ id })),
  ];
  for (const step of steps) {
    const outcome = await step();
    if (outcome === ABANDONED || outcome === ALREADY_COMPLETED) break;
  }
  if (view.status === 'processing') {
    moveTo('completed', null);
    view.lastError = null;
  }
  await condition(allHandlersFinished);
  return view;
}
