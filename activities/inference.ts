import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { createHash } from 'node:crypto';
import { FailureType, idempotencyKey, type InferInput, type ModelOutput, type StoredOutput, type Tier } from '../contract';
import type { InferenceOutput } from '../prisma/generated/client';
import type { DbClient } from '../db/client';
import { enterStep } from '../db/transitions';
import { classifyProviderError, parseModelOutput, providerFailureDetails } from '../providers/errors';
import type { Permit } from '../providers/breaker';
import type { RegisteredProvider } from '../providers/registry';
import type { ProviderConfig } from '../providers/types';
import type { ActivityDeps } from './deps';

type CallOutcome = 'ok' | 'superseded' | 'retryable' | 'rejected' | 'malformed';

interface CallRecord {
  outcome: CallOutcome;
  startedAt: Date;
  httpStatus: number | null;
  latencyMs: number;
  tokensIn?: number | null;
  tokensOut?: number | null;
  repaired?: boolean;
  error?: string;
}

const viewOf = (row: InferenceOutput, created: boolean): StoredOutput => ({
  idempotencyKey: row.idempotencyKey,
  provider: row.provider,
  model: row.model,
  output: row.output as ModelOutput,
  confidence: row.confidence,
  tier: row.tier as Tier,
  created,
});

const hashOf = (output: ModelOutput): string => createHash('sha256').update(JSON.stringify(output)).digest('hex');

function outcomeOf(failure: ApplicationFailure): CallOutcome {
  if (failure.type === FailureType.ProviderMalformed) return 'malformed';
  return failure.nonRetryable ? 'rejected' : 'retryable';
}

/** A malformed answer is worth a few more tries on the same provider, then the chain moves on. */
function boundMalformed(failure: ApplicationFailure, attempt: number, config: ProviderConfig): ApplicationFailure {
  if (failure.type !== FailureType.ProviderMalformed || attempt < config.malformedAttempts) return failure;
  return ApplicationFailure.create({
    type: FailureType.ProviderMalformed,
    message: `${failure.message} (gave up after ${attempt} attempts on ${config.name})`,
    nonRetryable: true,
    cause: failure,
  });
}

export function createInferenceActivity({ db, providers, breakers }: ActivityDeps) {
  /** The row is the audit trail; the log line and the latency histogram are for the on-call view. */
  function logCall(id: string, config: ProviderConfig, attempt: number, call: CallRecord, tx: DbClient = db) {
    const context = Context.current();
    context.metricMeter.createHistogram('model_call_latency', 'int', 'ms', 'Model call latency').record(call.latencyMs, { provider: config.name, outcome: call.outcome });
    context.log.info('model call', { recordId: id, provider: config.name, model: config.model, attempt, outcome: call.outcome, httpStatus: call.httpStatus, latencyMs: call.latencyMs });
    return tx.modelCall.create({
      data: {
        recordId: id,
        provider: config.name,
        model: config.model,
        attempt,
        outcome: call.outcome,
        httpStatus: call.httpStatus,
        startedAt: call.startedAt,
        latencyMs: call.latencyMs,
        tokensIn: call.tokensIn ?? null,
        tokensOut: call.tokensOut ?? null,
        costMicros: config.priceMicrosPerCall,
        repaired: call.repaired ?? false,
        error: call.error ?? null,
      },
    });
  }

  /** Only provider health counts: a rejected request or a malformed answer says nothing about uptime. */
  function recordHealth(permit: Permit, failure: ApplicationFailure | undefined) {
    permit.release(!failure ? 'up' : failure.type === FailureType.ProviderRetryable ? 'down' : 'unknown');
  }

  async function callModel(id: string, text: string, route: RegisteredProvider, permit: Permit) {
    const { attempt } = Context.current().info;
    const { config } = route;
    const startedAt = new Date();
    const started = startedAt.getTime();
    try {
      const completion = await route.client.complete({ text });
      recordHealth(permit, undefined);
      return { completion, ...parseModelOutput(completion.content), startedAt, latencyMs: Date.now() - started };
    } catch (err) {
      const failure = boundMalformed(
        err instanceof ApplicationFailure ? err : classifyProviderError(err, config.name),
        attempt,
        config,
      );
      recordHealth(permit, failure);
      const httpStatus = providerFailureDetails(failure)?.httpStatus ?? null;
      await logCall(id, config, attempt, { outcome: outcomeOf(failure), httpStatus, startedAt, latencyMs: Date.now() - started, error: failure.message });
      throw failure;
    }
  }

  function skipIfOpen(provider: string, canSkip: boolean): Permit {
    const permit = breakers.tryAcquire(provider);
    if (permit.admitted || !canSkip) return permit;
    throw ApplicationFailure.create({
      type: FailureType.CircuitOpen,
      message: `provider ${provider} is failing (circuit open); skipped for the next provider`,
      nonRetryable: true,
    });
  }

  return async function infer({ id, provider, canSkip }: InferInput): Promise<StoredOutput> {
    const { attempt } = Context.current().info;
    await enterStep(db, id, 'inference', attempt);
    const stored = await db.inferenceOutput.findUnique({ where: { recordId: id } });
    if (stored) return viewOf(stored, false);
    const route = providers.get(provider);
    if (!route) throw ApplicationFailure.nonRetryable(`provider ${provider} is not configured on this worker`, FailureType.ProviderRejected);
    const { config } = route;
    const record = await db.record.findUnique({ where: { id } });
    if (!record) throw ApplicationFailure.nonRetryable(`record ${id} does not exist`, FailureType.RecordNotFound);
    const { text } = record.input as { text: string };
    const permit = skipIfOpen(provider, canSkip);
    // Whatever happens to the call (an exception of our own, a cancelled activity), the probe is freed.
    const { completion, output, repaired, startedAt, latencyMs } = await callModel(id, text, route, permit).finally(() => permit.release('unknown'));
    const result = await db.$transaction(async (tx) => {
      const inserted = await tx.inferenceOutput.createMany({
        data: [{ recordId: id, idempotencyKey: idempotencyKey.inference(id), provider: config.name, model: config.model, output, outputHash: hashOf(output), confidence: output.confidence }],
        skipDuplicates: true,
      });
      // First writer wins: a concurrent attempt that lost keeps its call in the log, marked superseded.
      const call = { httpStatus: completion.httpStatus, startedAt, latencyMs, tokensIn: completion.tokensIn, tokensOut: completion.tokensOut, repaired };
      await logCall(id, config, attempt, { ...call, outcome: inserted.count === 1 ? 'ok' : 'superseded' }, tx);
      return viewOf(await tx.inferenceOutput.findUniqueOrThrow({ where: { recordId: id } }), inserted.count === 1);
    });
    return result;
  };
}
