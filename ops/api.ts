/**
 * The CLI's only way to act: the public HTTP API, the same routes and checks as every other
 * client, so an operator's retry goes through the API's `needs_investigation` guard too.
 */
import { z } from 'zod';
import type { ResolveAction } from '../contract';
import type { OpsConfig } from './config';
import {
  apiErrorBodySchema,
  recordDetailSchema,
  recordListSchema,
  resolveAcceptedSchema,
  type RecordDetail,
  type RecordList,
  type ResolveAccepted,
} from './views';

/** A request the API answered with an error, or could not answer at all (status 0). */
export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface ListQuery {
  status?: string | undefined;
  limit?: number | undefined;
}

export interface ApiClient {
  listRecords(query: ListQuery): Promise<RecordList>;
  getRecord(id: string): Promise<RecordDetail>;
  resolve(id: string, action: ResolveAction): Promise<ResolveAccepted>;
}

// Long enough for a slow API under load, short enough that a script never hangs on a dead one.
const REQUEST_TIMEOUT_MS = 30_000;

async function send({ apiUrl, apiKey }: OpsConfig, method: string, path: string, body?: unknown): Promise<Response> {
  try {
    return await fetch(`${apiUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${apiKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
  } catch (err) {
    // fetch hides the reason (ECONNREFUSED, DNS, timeout) in `cause`.
    const reason = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
    throw new ApiError(0, 'unreachable', `cannot reach the API at ${apiUrl}: ${reason}`);
  }
}

async function readJson(res: Response): Promise<unknown> {
  const text = await res.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new ApiError(res.status, 'not_json', `the API answered HTTP ${res.status} with a body that is not JSON: ${text.slice(0, 200)}`);
  }
}

function errorFrom(res: Response, body: unknown): ApiError {
  const parsed = apiErrorBodySchema.safeParse(body);
  return parsed.success
    ? new ApiError(res.status, parsed.data.error, parsed.data.message)
    : new ApiError(res.status, 'http_error', `HTTP ${res.status} ${res.statusText}`);
}

async function call<T>(config: OpsConfig, schema: z.ZodType<T>, method: string, path: string, body?: unknown): Promise<T> {
  const res = await send(config, method, path, body);
  const json = await readJson(res);
  if (!res.ok) throw errorFrom(res, json);
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new ApiError(res.status, 'unexpected_answer', `unexpected answer from ${method} ${path}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

export function createApiClient(config: OpsConfig): ApiClient {
  const recordPath = (id: string) => `/v1/records/${encodeURIComponent(id)}`;
  return {
    listRecords({ status, limit }) {
      const query = new URLSearchParams();
      if (status) query.set('status', status);
      if (limit) query.set('limit', String(limit));
      return call(config, recordListSchema, 'GET', `/v1/records${query.size ? `?${query.toString()}` : ''}`);
    },
    getRecord: (id) => call(config, recordDetailSchema, 'GET', recordPath(id)),
    resolve: (id, action) => call(config, resolveAcceptedSchema, 'POST', `${recordPath(id)}/resolve`, action),
  };
}
