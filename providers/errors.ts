/**
 * Turns what a provider SDK throws into the ApplicationFailure that tells Temporal, the one retry
 * authority (DESIGN §4), whether and when to try again.
 */
import { ApplicationFailure } from '@temporalio/common';
// The SDKs' error modules alone: a process loads a provider's whole SDK only when that kind is configured (registry.ts).
import {
  APIConnectionTimeoutError as AnthropicTimeout,
  APIError as AnthropicAPIError,
  APIUserAbortError as AnthropicAbort,
} from '@anthropic-ai/sdk/core/error';
import {
  APIConnectionTimeoutError as OpenAITimeout,
  APIError as OpenAIAPIError,
  APIUserAbortError as OpenAIAbort,
} from 'openai/core/error';
import { JSONRepairError, jsonrepair } from 'jsonrepair';
import type { z } from 'zod';
import { FailureType, modelOutputSchema, type ModelOutput } from '../contract';

export interface ProviderFailureDetails {
  provider: string;
  /** null when no HTTP answer came back (timeout, connection error, abort). */
  httpStatus: number | null;
  requestId: string | null;
  reason: 'http' | 'timeout' | 'connection' | 'aborted' | 'unexpected';
  retryAfterMs: number | null;
  /** The provider's error type and code (e.g. invalid_request_error, rate_limit_exceeded), when they are identifiers. */
  errorType: string | null;
  errorCode: string | null;
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

function failure(details: ProviderFailureDetails, message: string, nonRetryable: boolean): ApplicationFailure {
  // No `cause`: an SDK error's message may quote the request (an OpenAI 400 does), and a failure's
  // cause chain is written to Temporal's history as it is (G8). The details carry what is safe.
  return ApplicationFailure.create({
    type: nonRetryable ? FailureType.ProviderRejected : FailureType.ProviderRetryable,
    message,
    nonRetryable,
    details: [details],
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
  const details: ProviderFailureDetails = { provider, httpStatus: null, requestId: null, reason, retryAfterMs: null, errorType: null, errorCode: null };
  return failure(details, `provider ${provider}: ${reason}`, false);
}

/** A provider's error type or code is an identifier; anything else in that field is not repeated. */
const identifier = (value: unknown): string | null =>
  typeof value === 'string' && /^[A-Za-z0-9_.:-]{1,64}$/.test(value) ? value : null;

export function classifyProviderError(err: unknown, provider: string): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  if (!(err instanceof OpenAIAPIError || err instanceof AnthropicAPIError)) {
    // Unknown failures retry: exhausting the budget parks the record for an operator, nothing is lost.
    // Only the error's class is named: its message may carry anything, a response body included.
    const name = identifier(err instanceof Error ? err.name : typeof err) ?? 'Error';
    const details: ProviderFailureDetails = { provider, httpStatus: null, requestId: null, reason: 'unexpected', retryAfterMs: null, errorType: null, errorCode: null };
    return failure(details, `provider ${provider}: unexpected error (${name})`, false);
  }
  // Both SDKs' APIError share this shape; naming it keeps the two class hierarchies apart.
  const api: { status: number | undefined; requestID?: string | null; headers: Headers | undefined; type?: string | null } = err;
  if (api.status === undefined) return withoutResponse(err, provider);
  const details: ProviderFailureDetails = {
    provider,
    httpStatus: api.status,
    requestId: api.requestID ?? null,
    reason: 'http',
    retryAfterMs: retryAfterMs(api.headers),
    errorType: identifier(api.type),
    errorCode: identifier(err instanceof OpenAIAPIError ? err.code : err.errorCode),
  };
  // The API's own message is left out: a 400 may quote the input it refused.
  const kind = [details.errorType, details.errorCode].filter(Boolean).join('/');
  return failure(details, `provider ${provider}: HTTP ${api.status}${kind ? ` (${kind})` : ''}`, isRejected(api.status));
}

// Models asked for bare JSON still sometimes fence it; the fence carries no meaning, so accept it.
const FENCED = /^\s*```(?:json)?\s*([\s\S]*?)\s*```\s*$/i;

/** Retryable on purpose: a model may answer well next time, and the workflow bounds how often. */
const malformed = (message: string): ApplicationFailure =>
  ApplicationFailure.create({ type: FailureType.ProviderMalformed, message, nonRetryable: false });

export interface ParsedOutput {
  output: ModelOutput;
  /** The answer was not valid JSON until the JSON-repair library fixed it (DESIGN §13). */
  repaired: boolean;
}

const pathOf = (path: readonly PropertyKey[]): string =>
  path.map((key, i) => (typeof key === 'number' ? `[${key}]` : `${i === 0 ? '' : '.'}${String(key)}`)).join('');

/**
 * What an issue says about the answer without repeating it (G8): the output schema has no record
 * or map, so a path holds only its own keys and indexes, and zod's messages for the built-in checks
 * name the expectation and the received type. Unknown keys are the answer's own words: counted only.
 */
function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.length > 0 ? ` at ${pathOf(issue.path)}` : '';
  if (issue.code === 'unrecognized_keys') return `answer violates the output schema${where}: ${issue.keys.length} unexpected key(s)`;
  const what = issue.code === 'invalid_type' ? `expected ${issue.expected}` : issue.message;
  return `answer violates the output schema${where}: ${what}`;
}

/** JSON first; an answer that is not JSON gets one repair (a trailing comma, a missing brace) before the schema. */
function parseJson(text: string): { json: unknown; repaired: boolean } {
  try {
    return { json: JSON.parse(text), repaired: false };
  } catch {
    // V8's parse error may quote the text around the error; only the repair's position is reported.
  }
  try {
    return { json: JSON.parse(jsonrepair(text)), repaired: true };
  } catch (err) {
    const at = err instanceof JSONRepairError ? ` at position ${err.position}` : '';
    throw malformed(`answer is not valid JSON${at}`);
  }
}

export function parseModelOutput(content: string): ParsedOutput {
  const { json, repaired } = parseJson(FENCED.exec(content)?.[1] ?? content);
  const result = modelOutputSchema.safeParse(json);
  if (!result.success) throw malformed(result.error.issues.map(describeIssue).join('; '));
  return { output: result.data, repaired };
}

/** What classifyProviderError attached, for the call log; null for failures it did not make. */
export function providerFailureDetails(failure: ApplicationFailure): ProviderFailureDetails | null {
  const first = failure.details?.[0];
  return typeof first === 'object' && first !== null && 'reason' in first && 'provider' in first
    ? (first as ProviderFailureDetails)
    : null;
}
