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
import { RetryState } from '@temporalio/common';
import type { Activities } from '../activities';
import type { StoredOutput } from '../activities/inference';
import {
  activityOptionsFrom,
  idempotencyKey,
  providerFaultsOf,
  stepFaultsOf,
  recordStatusKey,
  recordStepKey,
  makeResolveSchema,
  resolveSignal,
  statusQuery,
  type FaultPlan,
  type Investigation,
  type PipelineOptions,
  type ProcessRecordInput,
  type RecordStatus,
  type RecordStatusView,
  type ResolveAction,
  type RetryOptions,
  type Step,
} from '../contract';

type Concern = Omit<Investigation, 'attempts'>;
const ABANDONED = Symbol('abandoned');
/** The step failed as seen from here, but its commit landed: the record is complete (the ambiguous case of persist). */
const ALREADY_COMPLETED = Symbol('already completed');

/** `summary` names the step and its idempotency key in the Web UI's event history. */
function optionsFrom(retry: RetryOptions, summary: string, taskQueue?: string): ActivityOptions {
  return { ...activityOptionsFrom(retry, taskQueue), summary };
}

function activitiesFor(id: string, pipeline: PipelineOptions) {
  return {
    charge: proxyActivities<Activities>(optionsFrom(pipeline.steps.charge, `charge ${idempotencyKey.charge(id)}`)).charge,
    persist: proxyActivities<Activities>(optionsFrom(pipeline.steps.persist, `persist ${idempotencyKey.persist(id)}`)).persist,
    bookkeeping: proxyActivities<Activities>(optionsFrom(pipeline.steps.bookkeeping, `record ${id}: status change`)),
    providers: pipeline.providers.map((route) => ({
      name: route.name,
      infer: proxyActivities<Activities>(optionsFrom(route.retry, `inference ${idempotencyKey.inference(id)} on ${route.name}`, route.taskQueue)).infer,
    })),
  };
}

function concernFrom(step: Step, failure: ActivityFailure): Concern {
  return {
    step,
    reason: failure.retryState === RetryState.MAXIMUM_ATTEMPTS_REACHED ? 'exhausted' : 'non_retryable',
    lastError: failure.cause?.message ?? failure.message,
  };
}

/** Injected faults apply to a step's first round only (DESIGN §8). */
function faultsFor(plan: FaultPlan | undefined, round: number) {
  const planned = round === 1 ? plan : undefined;
  return {
    step: (step: Step) => stepFaultsOf(planned, step),
    provider: (name: string) => providerFaultsOf(planned, name),
  };
}

export async function processRecord({ id, faults, pipeline }: ProcessRecordInput): Promise<RecordStatusView> {
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
    await acts.bookkeeping.recordRejectedSignal({ id, status: view.status, step: view.step, payload, problem });
  });

  function moveTo(status: RecordStatus, step: Step | null): void {
    view.status = status;
    view.step = step;
    upsertSearchAttributes([
      { key: recordStatusKey, value: status },
      { key: recordStepKey, value: step },
    ]);
  }

  async function waitForOperator(concern: Concern): Promise<ResolveAction | typeof ALREADY_COMPLETED> {
    const { attempts, status } = await acts.bookkeeping.park({ id, investigation: concern });
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
    run: (round: number) => Promise<T>,
    check?: (result: T) => Concern | undefined,
  ): Promise<T | typeof ABANDONED | typeof ALREADY_COMPLETED> {
    for (let round = 1; ; round++) {
      moveTo('processing', step);
      let concern: Concern | undefined;
      try {
        const result = await run(round);
        concern = check?.(result);
        if (!concern) return result;
      } catch (err) {
        if (!(err instanceof ActivityFailure)) throw err;
        concern = concernFrom(step, err);
      }
      const action = await waitForOperator(concern);
      if (action === ALREADY_COMPLETED) return action;
      if (action.action === 'abandon') {
        await acts.bookkeeping.abandon({ id, reason: action.reason });
        moveTo('failed', null);
        return ABANDONED;
      }
      if (concern.reason === 'low_confidence') operatorAcceptedOutput = true;
      await acts.bookkeeping.resume({ id, step });
    }
  }

  async function inferWithFallback(round: number): Promise<StoredOutput> {
    const planned = faultsFor(faults, round);
    let lastFailure: unknown;
    for (const [index, route] of acts.providers.entries()) {
      try {
        return await route.infer({
          id,
          provider: route.name,
          faults: planned.step('inference'),
          providerFaults: planned.provider(route.name),
          canSkip: index < acts.providers.length - 1,
        });
      } catch (err) {
        if (!(err instanceof ActivityFailure)) throw err;
        lastFailure = err;
      }
    }
    throw lastFailure;
  }

  const lowConfidence = (stored: StoredOutput): Concern | undefined =>
    stored.confidence < pipeline.confidenceThreshold && !operatorAcceptedOutput
      ? { step: 'inference', reason: 'low_confidence', lastError: `confidence ${stored.confidence} is below ${pipeline.confidenceThreshold}` }
      : undefined;

  const steps: Array<() => Promise<unknown>> = [
    () => runStep('charge', (round) => acts.charge({ id, faults: faultsFor(faults, round).step('charge') })),
    () => runStep('inference', inferWithFallback, lowConfidence),
    () => runStep('persist', (round) => acts.persist({ id, faults: faultsFor(faults, round).step('persist') })),
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
