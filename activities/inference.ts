/**
 * The inference step (DESIGN §4, G3): one statement moves the record into the step and returns its
 * text and any output already stored; a stored output is returned without calling a model. Else
 * the provider is called, its answer validated, and one statement stores the output (first writer
 * wins) with the call's row, returning the output that stands.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType, idempotencyKey, type InferInput, type ModelOutput, type StoredOutput } from '../contract';
import { countEach } from '../db/metrics';
import { sql } from '../db/sql';
import { transitionCtes } from '../db/transitions';
import { classifyProviderError, parseModelOutput, providerFailureDetails } from '../providers/errors';
import type { Permit } from '../providers/breaker';
import type { RegisteredProvider } from '../providers/registry';
import type { ProviderConfig } from '../providers/types';
import type { ActivityDeps } from './deps';
import { hashOf, viewOf, type OutputRow } from './outputs';

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

/** Every model_calls insert names its rows `call`; this counts them (DESIGN §6). */
const countedCalls = countEach('counted', 'call', 'model_calls_total', sql`jsonb_build_object('provider', provider, 'outcome', outcome)`);

export function createInferenceActivity({ db, providers, breakers }: ActivityDeps) {
  /** The row is the audit trail; the log line and the latency histogram are for the on-call view. */
  function observeCall(id: string, config: ProviderConfig, attempt: number, call: CallRecord): void {
    const context = Context.current();
    context.metricMeter.createHistogram('model_call_latency', 'int', 'ms', 'Model call latency').record(call.latencyMs, { provider: config.name, outcome: call.outcome });
    context.log.info('model call', { recordId: id, provider: config.name, model: config.model, attempt, outcome: call.outcome, httpStatus: call.httpStatus, latencyMs: call.latencyMs });
  }

  /** A failed call's row; the successful call's row is written with its output (storeOutput). */
  async function logFailedCall(id: string, config: ProviderConfig, attempt: number, call: CallRecord): Promise<void> {
    observeCall(id, config, attempt, call);
    await db.execute(sql`
      WITH call AS (
        INSERT INTO model_calls (record_id, provider, model, attempt, outcome, http_status, started_at, latency_ms, error)
        VALUES (${id}, ${config.name}, ${config.model}, ${attempt}, ${call.outcome}, ${call.httpStatus ?? null}::int, ${call.startedAt}, ${call.latencyMs}, ${call.error ?? null})
        RETURNING provider, outcome
      ), ${countedCalls}
      SELECT 1`);
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
      await logFailedCall(id, config, attempt, { outcome: outcomeOf(failure), httpStatus, startedAt, latencyMs: Date.now() - started, error: failure.message });
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

  /** The output and the call's row in one statement; a concurrent attempt that lost keeps its call, marked superseded. */
  async function storeOutput(id: string, config: ProviderConfig, attempt: number, output: ModelOutput, call: Omit<CallRecord, 'outcome'>): Promise<StoredOutput> {
    const cost = costMicros(config, call.tokensIn, call.tokensOut);
    const rows = await db.query<OutputRow & { created: boolean }>(sql`
      WITH made AS (
        INSERT INTO inference_outputs (id, record_id, idempotency_key, provider, model, output, output_hash, confidence, tier)
        VALUES (gen_random_uuid(), ${id}, ${idempotencyKey.inference(id)}, ${config.name}, ${config.model}, ${JSON.stringify(output)}::jsonb,
                ${hashOf(output)}, ${output.confidence}, 'model')
        ON CONFLICT DO NOTHING
        RETURNING idempotency_key, provider, model, output, confidence, tier
      ), call AS (
        INSERT INTO model_calls (record_id, provider, model, attempt, outcome, http_status, started_at, latency_ms, tokens_in, tokens_out, cost_micros, repaired)
        SELECT ${id}, ${config.name}, ${config.model}, ${attempt}, CASE WHEN EXISTS (SELECT 1 FROM made) THEN 'ok' ELSE 'superseded' END,
               ${call.httpStatus}, ${call.startedAt}, ${call.latencyMs}, ${call.tokensIn ?? null}::int, ${call.tokensOut ?? null}::int, ${cost}, ${call.repaired ?? false}
        RETURNING provider, outcome, cost_micros
      ), ${countedCalls}, ${countEach('costed', 'call', 'model_cost_micros_total', sql`jsonb_build_object('provider', provider)`, sql`cost_micros`)}
      SELECT made.*, true AS created FROM made
      UNION ALL
      SELECT idempotency_key, provider, model, output, confidence, tier, false FROM inference_outputs WHERE record_id = ${id} AND NOT EXISTS (SELECT 1 FROM made)`);
    // Empty when a concurrent attempt's output committed after this statement's snapshot: read it afresh.
    const row = rows[0] ?? { ...(await storedOutput(id)), created: false };
    observeCall(id, config, attempt, { ...call, outcome: row.created ? 'ok' : 'superseded' });
    return viewOf(row, row.created);
  }

  async function storedOutput(id: string): Promise<OutputRow> {
    const [row] = await db.query<OutputRow>(sql`
      SELECT idempotency_key, provider, model, output, confidence, tier FROM inference_outputs WHERE record_id = ${id}`);
    if (!row) throw new Error(`record ${id}: the output that won the insert is not there`);
    return row;
  }

  return async function infer({ id, provider, canSkip }: InferInput): Promise<StoredOutput> {
    const { attempt } = Context.current().info;
    const enter = transitionCtes(id, { from: ['received', 'processing'], to: 'processing', step: 'inference', actor: 'system', attempts: attempt });
    const [record] = await db.query<{ text: string } & Partial<OutputRow>>(sql`
      WITH ${enter}
      SELECT r.input->>'text' AS text, o.idempotency_key, o.provider, o.model, o.output, o.confidence, o.tier
      FROM records r LEFT JOIN inference_outputs o ON o.record_id = r.id WHERE r.id = ${id}`);
    if (!record) throw ApplicationFailure.nonRetryable(`record ${id} does not exist`, FailureType.RecordNotFound);
    if (record.idempotency_key) return viewOf(record as OutputRow, false);
    const route = providers.get(provider);
    if (!route) throw ApplicationFailure.nonRetryable(`provider ${provider} is not configured on this worker`, FailureType.ProviderRejected);
    const permit = skipIfOpen(provider, canSkip);
    // Whatever happens to the call (an exception of our own, a cancelled activity), the probe is freed.
    const { completion, output, repaired, startedAt, latencyMs } = await callModel(id, record.text, route, permit).finally(() => permit.release('unknown'));
    const { httpStatus, tokensIn, tokensOut } = completion;
    return storeOutput(id, route.config, attempt, output, { httpStatus, startedAt, latencyMs, tokensIn, tokensOut, repaired });
  };
}

/** What the provider bills for a call, in micros of its currency: tokens times the price per million tokens. */
function costMicros(config: ProviderConfig, tokensIn: number | null | undefined, tokensOut: number | null | undefined): number {
  return Math.round((tokensIn ?? 0) * config.inputPricePerMTok + (tokensOut ?? 0) * config.outputPricePerMTok);
}
