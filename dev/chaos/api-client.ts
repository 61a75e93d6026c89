/**
 * The HTTP API as its clients see it (DESIGN §6), with the retries a well-behaved client makes:
 * 503, 5xx and a refused or dropped connection mean "try again"; any other answer is final.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { FaultPlan, ResolveAction } from '../../contract';
import { networkFailure, untilDone, type Attempt, type RetryPolicy } from './retry';

const REQUEST_TIMEOUT_MS = 30_000;

export interface ApiClientOptions {
  /** Several API processes: each request goes to the next, and so does its retry, as a load balancer sends it. */
  urls: readonly string[];
  key: string;
  deadline: number;
  onRetry(kind: 'records' | 'uploads' | 'resolve' | 'list', reason: string): void;
}

export interface RecordBody {
  id: string;
  input: { text: string };
  simulate?: FaultPlan;
}

export type IngestAnswer = { outcome: 'accepted' | 'duplicate' } | { outcome: 'rejected'; reason: string };
export type ResolveAnswer = { outcome: 'accepted' } | { outcome: 'conflict' | 'not_found'; message: string };

const lineOutcomesSchema = z.object({
  outcomes: z.array(z.object({ line: z.number(), id: z.string().optional(), outcome: z.string(), reason: z.string().optional() })),
});
const investigationsSchema = z.object({
  records: z.array(
    z.object({ id: z.string(), status: z.string(), step: z.string().nullable(), reason: z.string().nullable(), lastError: z.string().nullable(), updatedAt: z.string() }),
  ),
});
export type ListedRecord = z.infer<typeof investigationsSchema>['records'][number];
/** An error's problem+json (RFC 9457) detail. */
const messageSchema = z.object({ detail: z.string() }).transform((p) => ({ message: p.detail })).catch({ message: '' });

const retryable = (status: number): boolean => status >= 500 || status === 429;

export function createApiClient(options: ApiClientOptions) {
  const headers = { authorization: `Bearer ${options.key}` };
  const policy = (kind: Parameters<ApiClientOptions['onRetry']>[0]): RetryPolicy => ({
    initialMs: 100,
    maxMs: 2_000,
    deadline: options.deadline,
    onRetry: (reason) => options.onRetry(kind, reason),
  });

  let next = 0;
  async function call(path: string, init: RequestInit): Promise<{ status: number; body: unknown } | { retry: string }> {
    const url = options.urls[next++ % options.urls.length];
    try {
      const res = await fetch(`${url}${path}`, { ...init, headers: { ...headers, ...init.headers }, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
      const body: unknown = await res.json().catch(() => null);
      return retryable(res.status) ? { retry: `HTTP ${res.status}` } : { status: res.status, body };
    } catch (err) {
      return networkFailure(err);
    }
  }

  const json = (body: unknown, more: Record<string, string> = {}): RequestInit => ({ method: 'POST', headers: { 'content-type': 'application/json', ...more }, body: JSON.stringify(body) });

  async function postRecord(body: RecordBody): Promise<IngestAnswer> {
    return untilDone(async (): Promise<Attempt<IngestAnswer>> => {
      const answer = await call('/v1/records', json(body));
      if ('retry' in answer) return answer;
      if (answer.status === 202) return { done: { outcome: 'accepted' } };
      if (answer.status === 200) return { done: { outcome: 'duplicate' } };
      return { done: { outcome: 'rejected', reason: `HTTP ${answer.status}: ${messageSchema.parse(answer.body).message}` } };
    }, policy('records'));
  }

  /** One multipart request; lines the pipeline could not take now come back as `unavailable`. */
  async function upload(bodies: RecordBody[]): Promise<Map<string, IngestAnswer | 'unavailable'>> {
    const form = new FormData();
    form.append('file', new Blob([bodies.map((b) => JSON.stringify(b)).join('\n')]), 'chaos.jsonl');
    return untilDone(async (): Promise<Attempt<Map<string, IngestAnswer | 'unavailable'>>> => {
      const answer = await call('/v1/uploads', { method: 'POST', body: form });
      if ('retry' in answer) return answer;
      if (answer.status !== 200) throw new Error(`upload answered HTTP ${answer.status}: ${JSON.stringify(answer.body)}`);
      const byId = new Map<string, IngestAnswer | 'unavailable'>();
      for (const line of lineOutcomesSchema.parse(answer.body).outcomes) {
        const id = line.id ?? bodies[line.line - 1]?.id ?? `line ${line.line}`;
        byId.set(id, lineAnswer(line.outcome, line.reason));
      }
      return { done: byId };
    }, policy('uploads'));
  }

  async function listInvestigations(): Promise<ListedRecord[]> {
    return untilDone(async (): Promise<Attempt<ListedRecord[]>> => {
      const answer = await call('/v1/records?status=needs_investigation&limit=1000', { method: 'GET' });
      if ('retry' in answer) return answer;
      if (answer.status !== 200) throw new Error(`listing answered HTTP ${answer.status}`);
      return { done: investigationsSchema.parse(answer.body).records };
    }, policy('list'));
  }

  async function resolve(id: string, action: ResolveAction): Promise<ResolveAnswer> {
    // One key for every attempt of this send: an attempt whose answer was lost (a 503 while the
    // action still took effect, an API killed mid-request) is answered by its outcome when resent.
    const request = json(action, { 'Idempotency-Key': randomUUID() });
    return untilDone(async (): Promise<Attempt<ResolveAnswer>> => {
      const answer = await call(`/v1/records/${encodeURIComponent(id)}/resolve`, request);
      if ('retry' in answer) return answer;
      if (answer.status === 200) return { done: { outcome: 'accepted' } };
      const { message } = messageSchema.parse(answer.body);
      if (answer.status === 409) return { done: { outcome: 'conflict', message } };
      if (answer.status === 404) return { done: { outcome: 'not_found', message } };
      throw new Error(`resolve ${id} answered HTTP ${answer.status}: ${message}`);
    }, policy('resolve'));
  }

  return { postRecord, upload, listInvestigations, resolve };
}

function lineAnswer(outcome: string, reason: string | undefined): IngestAnswer | 'unavailable' {
  if (outcome === 'accepted' || outcome === 'duplicate') return { outcome };
  if (outcome === 'unavailable') return 'unavailable';
  return { outcome: 'rejected', reason: `${outcome}: ${reason ?? ''}` };
}

export type ApiClient = ReturnType<typeof createApiClient>;
