/**
 * processRecord as deployed before the lean core (commit c966e9b), frozen: records that started on
 * it replay it to the end (DESIGN G10, docs/versioning.md). Its commands must never change; it is
 * retired, with the patch that selects it, once no open workflow lacks that patch.
 *
 * One addition, which writes no command and so replays unchanged: the `resolve` Update, so the HTTP
 * API resolves these records as it resolves new ones. It offers what this version can do: retry
 * and abandon, and `approve` of a low-confidence output (this version's `retry` accepted the
 * output; the Update refuses that `retry`, as the current version does, and names `approve`).
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
import { z } from 'zod';
import {
  idempotencyKey,
  recordStatusKey,
  recordStepKey,
  resolveSignal,
  resolveUpdate,
  statusQuery,
  type ModelOutput,
  type RecordStatus,
  type RecordStatusView,
  type ResolveContext,
  type RetryOptions,
  type Step,
} from '../../contract';

interface V1PipelineOptions {
  steps: Record<'charge' | 'persist' | 'bookkeeping', RetryOptions>;
  providers: Array<{ name: string; taskQueue: string; retry: RetryOptions }>;
  confidenceThreshold: number;
}

/** Its input also held the record's plan of injected failures, which now travels in the workflow's memo. */
export interface V1Input {
  id: string;
  pipeline: V1PipelineOptions;
}

interface V1StoredOutput {
  idempotencyKey: string;
  provider: string;
  model: string;
  output: ModelOutput;
  confidence: number;
  created: boolean;
}

type V1Concern = { step: Step; reason: 'exhausted' | 'non_retryable' | 'low_confidence'; lastError: string | null };

/**
 * The activities as this version calls them: the names its histories hold. Replay compares
 * commands, not activity inputs, so the inputs are today's (without the plan of injected failures:
 * that belongs to its own layer now).
 */
interface V1Activities {
  charge(input: { id: string }): Promise<unknown>;
  infer(input: { id: string; provider: string; canSkip: boolean }): Promise<V1StoredOutput>;
  persist(input: { id: string }): Promise<unknown>;
  park(input: { id: string; investigation: V1Concern }): Promise<{ attempts: number; status: RecordStatus }>;
  resume(input: { id: string; step: Step }): Promise<void>;
  abandon(input: { id: string; reason: string }): Promise<unknown>;
  recordRejectedSignal(input: { id: string; status: RecordStatus; step: Step | null; payload: unknown; problem: string }): Promise<void>;
}

const makeV1ResolveSchema = () =>
  z.discriminatedUnion('action', [
    z.strictObject({ action: z.literal('retry') }),
    z.strictObject({ action: z.literal('abandon'), reason: z.string().min(1).max(1000) }),
  ]);
type V1ResolveAction = z.infer<ReturnType<typeof makeV1ResolveSchema>>;

const ABANDONED = Symbol('abandoned');
const ALREADY_COMPLETED = Symbol('already completed');

function optionsFrom(retry: RetryOptions, summary: string, taskQueue?: string): ActivityOptions {
  return {
    taskQueue,
    startToCloseTimeout: retry.startToCloseTimeoutMs,
    retry: {
      initialInterval: retry.initialIntervalMs,
      backoffCoefficient: retry.backoffCoefficient,
      maximumInterval: retry.maximumIntervalMs,
      ...(retry.maximumAttempts > 0 ? { maximumAttempts: retry.maximumAttempts } : {}),
    },
    summary,
  };
}

function activitiesFor(id: string, pipeline: V1PipelineOptions) {
  return {
    charge: proxyActivities<V1Activities>(optionsFrom(pipeline.steps.charge, `charge ${idempotencyKey.charge(id)}`)).charge,
    persist: proxyActivities<V1Activities>(optionsFrom(pipeline.steps.persist, `persist ${idempotencyKey.persist(id)}`)).persist,
    bookkeeping: proxyActivities<V1Activities>(optionsFrom(pipeline.steps.bookkeeping, `record ${id}: status change`)),
    providers: pipeline.providers.map((route) => ({
      name: route.name,
      infer: proxyActivities<V1Activities>(optionsFrom(route.retry, `inference ${idempotencyKey.inference(id)} on ${route.name}`, route.taskQueue)).infer,
    })),
  };
}

function concernFrom(step: Step, failure: ActivityFailure): V1Concern {
  return {
    step,
    reason: failure.retryState === RetryState.MAXIMUM_ATTEMPTS_REACHED ? 'exhausted' : 'non_retryable',
    lastError: failure.cause?.message ?? failure.message,
  };
}

export async function processRecordV1({ id, pipeline }: V1Input): Promise<RecordStatusView> {
  const acts = activitiesFor(id, pipeline);
  const view: RecordStatusView = { id, status: 'received', step: null, attempts: 0, lastError: null, investigation: null };
  let resolution: V1ResolveAction | undefined;
  let operatorAcceptedOutput = false;
  let carriedOut = 0;

  setHandler(statusQuery, () => view);
  setHandler(resolveSignal, async (payload: unknown) => {
    const parsed = makeV1ResolveSchema().safeParse(payload);
    if (parsed.success && view.status === 'needs_investigation' && !resolution) {
      resolution = parsed.data;
      return;
    }
    const problem = parsed.success
      ? `record is ${view.status}, not waiting for an operator`
      : parsed.error.issues.map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`).join('; ');
    await acts.bookkeeping.recordRejectedSignal({ id, status: view.status, step: view.step, payload, problem });
  });
  setHandler(
    resolveUpdate,
    async (payload: unknown, _context: ResolveContext | undefined) => {
      const action = (payload as { action: string }).action;
      const before = carriedOut;
      resolution = action === 'abandon' ? { action: 'abandon', reason: (payload as { reason: string }).reason } : { action: 'retry' };
      await condition(() => carriedOut > before);
      return view;
    },
    {
      validator: (payload: unknown, _context: ResolveContext | undefined) => {
        const parsed = z.union([makeV1ResolveSchema(), z.strictObject({ action: z.literal('approve') })]).safeParse(payload);
        if (!parsed.success) throw new Error(`this record started before ${String((payload as { action?: unknown })?.action)} existed: retry, abandon or approve it`);
        if (view.status !== 'needs_investigation' || resolution) throw new Error(`record is ${view.status}, not waiting for an operator`);
        const lowConfidence = view.investigation?.reason === 'low_confidence';
        if (parsed.data.action === 'approve' && !lowConfidence) throw new Error('approve is only for a record parked for low confidence');
        if (parsed.data.action === 'retry' && lowConfidence) throw new Error('the output is below the confidence threshold: approve it or correct it, a retry would not call the model again');
      },
    },
  );

  function moveTo(status: RecordStatus, step: Step | null): void {
    view.status = status;
    view.step = step;
    upsertSearchAttributes([
      { key: recordStatusKey, value: status },
      { key: recordStepKey, value: step },
    ]);
  }

  async function waitForOperator(concern: V1Concern): Promise<V1ResolveAction | typeof ALREADY_COMPLETED> {
    const { attempts, status } = await acts.bookkeeping.park({ id, investigation: concern });
    if (status === 'completed') {
      log.info('step failed after its commit landed; the record is complete', { recordId: id, step: concern.step });
      return ALREADY_COMPLETED;
    }
    log.warn('record needs investigation', { recordId: id, ...concern, attempts });
    view.investigation = { ...concern, failureType: null, attempts };
    view.attempts = attempts;
    view.lastError = concern.lastError;
    moveTo('needs_investigation', concern.step);
    await condition(() => resolution !== undefined);
    const action = resolution as V1ResolveAction;
    log.info('operator resolved record', { recordId: id, step: concern.step, action: action.action });
    resolution = undefined;
    view.investigation = null;
    return action;
  }

  async function runStep<T>(
    step: Step,
    run: () => Promise<T>,
    check?: (result: T) => V1Concern | undefined,
  ): Promise<T | typeof ABANDONED | typeof ALREADY_COMPLETED> {
    for (let round = 1; ; round++) {
      moveTo('processing', step);
      if (round > 1) carriedOut += 1;
      let concern: V1Concern | undefined;
      try {
        const result = await run();
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
        carriedOut += 1;
        return ABANDONED;
      }
      if (concern.reason === 'low_confidence') operatorAcceptedOutput = true;
      await acts.bookkeeping.resume({ id, step });
    }
  }

  async function inferWithFallback(): Promise<V1StoredOutput> {
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

  const lowConfidence = (stored: V1StoredOutput): V1Concern | undefined =>
    stored.confidence < pipeline.confidenceThreshold && !operatorAcceptedOutput
      ? { step: 'inference', reason: 'low_confidence', lastError: `confidence ${stored.confidence} is below ${pipeline.confidenceThreshold}` }
      : undefined;

  const steps: Array<() => Promise<unknown>> = [
    () => runStep('charge', () => acts.charge({ id })),
    () => runStep('inference', inferWithFallback, lowConfidence),
    () => runStep('persist', () => acts.persist({ id })),
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
