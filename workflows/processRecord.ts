/**
 * One record, one workflow (`record-<global id>`): charge → inference → persist. The steps that
 * only touch PostgreSQL (charge, persist, the lifecycle transitions, the degradation tiers) are local
 * activities in the workflow task; the model call is a regular activity on its provider's queue, so
 * a slow provider holds only its own slots and its rate limit holds across workers. A step that
 * exhausts its retries, fails for good, or yields a low-confidence answer parks the record in
 * `needs_investigation`, open, until an operator resolves it (operator.ts).
 *
 * Versions (docs/versioning.md): records that started before the lean core replay versions/v1.ts.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  allHandlersFinished,
  condition,
  log,
  patched,
  proxyActivities,
  proxyLocalActivities,
  upsertSearchAttributes,
  TimeoutFailure,
} from '@temporalio/workflow';
import { RetryState } from '@temporalio/common';
import type { Activities } from '../activities';
import {
  activityOptionsFrom,
  idempotencyKey,
  recordStatusKey,
  recordStepKey,
  type Concern,
  type Decision,
  type PipelineOptions,
  type ProcessRecordInput,
  type RecordStatus,
  type RecordStatusView,
  type RetryOptions,
  type Step,
  type StoredOutput,
} from '../contract';
import { createOperatorDesk, type Resolution } from './operator';
import { processRecordV1, type V1Input } from './versions/v1';

/** The patch that marks a workflow started on the lean core; workflows without it are v1's. */
export const LEAN_CORE_PATCH = 'lean-core';

const ABANDONED = Symbol('abandoned');
/** The step failed as seen from here, but its commit landed: the record is complete (the ambiguous case of persist). */
const ALREADY_COMPLETED = Symbol('already completed');
type Stop = typeof ABANDONED | typeof ALREADY_COMPLETED;

function activitiesFor(id: string, pipeline: PipelineOptions) {
  const local = (retry: RetryOptions, summary: string) => proxyLocalActivities<Activities>({ ...activityOptionsFrom(retry), summary });
  return {
    charge: local(pipeline.steps.charge, `charge ${idempotencyKey.charge(id)}`).charge,
    persist: local(pipeline.steps.persist, `persist ${idempotencyKey.persist(id)}`).persist,
    lifecycle: local(pipeline.steps.lifecycle, `record ${id}: status change`),
    providers: pipeline.providers.map((route) => ({
      name: route.name,
      infer: proxyActivities<Activities>(
        activityOptionsFrom(route.retry, { taskQueue: route.taskQueue, summary: `inference ${idempotencyKey.inference(id)} on ${route.name}` }),
      ).infer,
    })),
  };
}

/**
 * The whole failure chain in one concern. A regular activity's failure arrives as an ActivityFailure
 * with its retry state; a local activity's own ApplicationFailure arrives as it was thrown, and a
 * local activity that timed out as an ActivityFailure around a TimeoutFailure.
 */
function concernFrom(step: Step, err: unknown): Concern | undefined {
  if (err instanceof ActivityFailure) {
    const cause = err.cause;
    const nonRetryable = err.retryState === RetryState.NON_RETRYABLE_FAILURE && !(cause instanceof TimeoutFailure);
    return {
      step,
      reason: nonRetryable ? 'non_retryable' : 'exhausted',
      lastError: cause?.message ?? err.message,
      failureType: cause instanceof ApplicationFailure ? (cause.type ?? null) : (cause?.name ?? null),
    };
  }
  if (err instanceof ApplicationFailure) {
    return { step, reason: err.nonRetryable ? 'non_retryable' : 'exhausted', lastError: err.message, failureType: err.type ?? null };
  }
  return undefined;
}

export async function processRecord(input: ProcessRecordInput): Promise<RecordStatusView> {
  if (!patched(LEAN_CORE_PATCH)) return processRecordV1(input as unknown as V1Input);
  const { id, pipeline } = input;
  const acts = activitiesFor(id, pipeline);
  const view: RecordStatusView = { id, status: 'received', step: null, attempts: 0, lastError: null, investigation: null };
  const desk = createOperatorDesk(view, (payload, problem) =>
    acts.lifecycle.recordRejectedSignal({ id, status: view.status, step: view.step, payload, problem }),
  );

  /** Search attributes change with the status, and name the step while the record is parked (DESIGN §3). */
  function moveTo(status: RecordStatus, step: Step | null): void {
    const changed = status !== view.status;
    view.status = status;
    view.step = step;
    if (changed) upsertSearchAttributes([{ key: recordStatusKey, value: status }, { key: recordStepKey, value: status === 'needs_investigation' ? step : null }]);
  }

  async function park(concern: Concern, maximumAttempts: number): Promise<Resolution | typeof ALREADY_COMPLETED> {
    desk.settle();
    // An exhausted step made every attempt its policy allows, whether or not each got as far as recording itself.
    const made = concern.reason === 'exhausted' ? maximumAttempts : null;
    const { attempts, status } = await acts.lifecycle.park({ id, investigation: concern, attempts: made });
    if (status === 'completed') {
      log.info('step failed after its commit landed; the record is complete', { recordId: id, step: concern.step });
      return ALREADY_COMPLETED;
    }
    log.warn('record needs investigation', { recordId: id, ...concern, attempts });
    Object.assign(view, { investigation: { ...concern, attempts }, attempts, lastError: concern.lastError });
    moveTo('needs_investigation', concern.step);
    const resolution = await desk.decide(concern);
    log.info('operator resolved record', { recordId: id, step: concern.step, action: resolution.action.action });
    view.investigation = null;
    return resolution;
  }

  /**
   * Runs a step until it succeeds or the record stops; an operator's approve or correct of a parked
   * inference comes back as the decision persist carries out.
   */
  async function runStep<T>(step: Step, retry: RetryOptions, run: () => Promise<T>, check?: (result: T) => Concern | undefined): Promise<T | Decision | Stop> {
    for (;;) {
      moveTo('processing', step);
      let concern: Concern | undefined;
      try {
        const result = await run();
        concern = check?.(result);
        if (!concern) return result;
      } catch (err) {
        concern = concernFrom(step, err);
        if (!concern) throw err;
      }
      const resolution = await park(concern, retry.maximumAttempts);
      if (resolution === ALREADY_COMPLETED) return resolution;
      const { action, keyId } = resolution;
      switch (action.action) {
        case 'abandon':
          await acts.lifecycle.abandon({ id, reason: action.reason, keyId });
          moveTo('failed', null);
          desk.settle();
          return ABANDONED;
        case 'retry':
          await acts.lifecycle.resume({ id, step, keyId });
          moveTo('processing', step);
          desk.settle();
          continue;
        case 'approve':
          return { action: 'approve', keyId };
        case 'correct':
          return { action: 'correct', output: action.output, keyId };
      }
    }
  }

  async function infer(): Promise<StoredOutput> {
    if (pipeline.reuseOutputs) {
      const reused = await acts.lifecycle.degrade({ id, tiers: ['cache'] });
      if (reused) return reused;
    }
    let lastFailure: unknown;
    for (const [index, route] of acts.providers.entries()) {
      try {
        return await route.infer({ id, provider: route.name, canSkip: index < acts.providers.length - 1 });
      } catch (err) {
        if (!(err instanceof ActivityFailure)) throw err;
        lastFailure = err;
      }
    }
    // The chain is down: a lower tier may serve the record (DESIGN §13); the chain's failure stands if none can.
    const served = pipeline.degradation.length > 0 ? await acts.lifecycle.degrade({ id, tiers: pipeline.degradation }) : null;
    if (served) return served;
    throw lastFailure;
  }

  const lowConfidence = (stored: StoredOutput): Concern | undefined =>
    stored.confidence < pipeline.confidenceThreshold
      ? { step: 'inference', reason: 'low_confidence', lastError: `confidence ${stored.confidence} is below ${pipeline.confidenceThreshold}`, failureType: null }
      : undefined;

  const last = pipeline.providers[pipeline.providers.length - 1];
  if (!last) throw ApplicationFailure.nonRetryable('the pipeline has no provider', 'InvalidInput');

  const charged = await runStep('charge', pipeline.steps.charge, () => acts.charge({ id }));
  if (charged !== ABANDONED && charged !== ALREADY_COMPLETED) {
    // The chain is exhausted when its last provider is.
    const inferred = await runStep('inference', last.retry, infer, lowConfidence);
    if (inferred !== ABANDONED && inferred !== ALREADY_COMPLETED) {
      await runStep('persist', pipeline.steps.persist, () => acts.persist({ id, decision: 'action' in inferred ? inferred : undefined }));
    }
  }
  if (view.status === 'processing') {
    moveTo('completed', null);
    view.lastError = null;
  }
  desk.settle();
  await condition(allHandlersFinished);
  return view;
}
