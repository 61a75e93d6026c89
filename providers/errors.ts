/**
 * Turns what a provider SDK throws into the ApplicationFailure that tells Temporal, the one retry
 * authority (DESIGN §4), whether and when to try again.
 */
import { ApplicationFailure } from '@temporalio/common';
import {
  APIConnectionTimeoutError as AnthropicTimeout,
  APIError as AnthropicAPIError,
  APIUserAbortError as AnthropicAbort,
} from '@anthropic-ai/sdk';
import {
  APIConnectionTimeoutError as OpenAITimeout,
  APIError as OpenAIAPIError,
  APIUserAbortError as OpenAIAbort,
} from 'openai';
import { z } from 'zod';
import { FailureType, modelOutputSchema, type ModelOutput } from '../contract';

export interface ProviderFailureDetails {
  provider: string;
  /** null when no HTTP answer came back (timeout, connection error, abort). */
  httpStatus: number | null;
  requestId: string | null;
  reason: 'http' | 'timeout' | 'connection' | 'aborted' | 'unexpected';
  retryAfterMs: number | null;
}

// Transient by HTTP semantics; every other 4xx is a request the provider will never accept.
const RETRYABLE_4XX = new Set([408, 409, 429]);

const isRejected = (status: number): boolean => status >= 400 && status < 500 && !RETRYABLE_4XX.has(status);

/** `retry-after-ms` (what both SDKs honour first), else `Retry-After` in seconds or as an HTTP date. */
export function retryAfterMs(headers: Headers | undefined, now = Date.now()): number | null {
  const ms = Number(headers?.get('retry-after-ms') ?? NaN);
  if (Number.isFinite(ms) && ms > 0) return Math.ceil(ms);
  const value = headers?.get('retry-after')?.trim();
  if (!value) return null;
  const seconds = Number(value);
  const delay = Number.isFinite(seconds) ? seconds * 1000 : Date.parse(value) - now;
  // A delay in the past or unparseable leaves the backoff to the retry policy.
  return Number.isFinite(delay) && delay > 0 ? Math.ceil(delay) : null;
}

function failure(
  details: ProviderFailureDetails,
  message: string,
  cause: Error,
  nonRetryable: boolean,
): ApplicationFailure {
  return ApplicationFailure.create({
    type: nonRetryable ? FailureType.ProviderRejected : FailureType.ProviderRetryable,
    message,
    nonRetryable,
    details: [details],
    cause,
    nextRetryDelay: details.retryAfterMs ?? undefined,
  });
}

function withoutResponse(err: Error, provider: string): ApplicationFailure {
  const reason =
    err instanceof OpenAITimeout || err instanceof AnthropicTimeout
      ? 'timeout'
      : err instanceof OpenAIAbort || err instanceof AnthropicAbort
        ? 'aborted'
        : 'connection';
  const details: ProviderFailureDetails = { provider, httpStatus: null, requestId: null, reason, retryAfterMs: null };
  return failure(details, `provider ${provider}: ${reason} (${err.message})`, err, false);
}

export function classifyProviderError(err: unknown, provider: string): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  const cause = err instanceof Error ? err : new Error(String(err));
  if (!(err instanceof OpenAIAPIError || err instanceof AnthropicAPIError)) {
    // Unknown failures retry: exhausting the budget parks the record for an operator, nothing is lost.
    const details: ProviderFailureDetails = { provider, httpStatus: null, requestId: null, reason: 'unexpected', retryAfterMs: null };
    return failure(details, `provider ${provider}: unexpected error (${cause.message})`, cause, false);
  }
  // Both SDKs' APIError share this shape; naming it keeps the two class hierarchies apart.
  const api: { status: number | undefined; requestID?: string | null; headers: Headers | undefined; message: string } = err;
  if (api.status === undefined) return withoutResponse(err, provider);
  const details: ProviderFailureDetails = {
    provider,
    httpStatus: api.status,
    requestId: api.requestID ?? null,
    reason: 'http',
    retryAfterMs: retryAfterMs(api.headers),
  };
  return failure(details, `provider ${provider}: HTTP ${api.status} (${api.message})`, err, isRejected(api.status));
}

// Models asked for bare JSON still sometimes fence it; the fence carries no meaning, so accept it.
const FENCED = /^\s*```(?:json)?\s*([\s\S]*?)\s*```\s*$/i;

/** Retryable on purpose: a model may answer well next time, and the workflow bounds how often. */
const malformed = (message: string): ApplicationFailure =>
  ApplicationFailure.create({ type: FailureType.ProviderMalformed, message, nonRetryable: false });

export function parseModelOutput(content: string): ModelOutput {
  let json: unknown;
  try {
    json = JSON.parse(FENCED.exec(content)?.[1] ?? content);
  } catch (err) {
    throw malformed(`model output is not JSON: ${err instanceof Error ? err.message : String(err)}`);
  }
  const result = modelOutputSchema.safeParse(json);
  if (!result.success) throw malformed(`model output violates its schema: ${z.prettifyError(result.error)}`);
  return result.data;
}

/** What classifyProviderError attached, for the call log; null for failures it did not make. */
export function providerFailureDetails(failure: ApplicationFailure): ProviderFailureDetails | null {
  const first = failure.details?.[0];
  return typeof first === 'object' && first !== null && 'reason' in first && 'provider' in first
    ? (first as ProviderFailureDetails)
    : null;
}
