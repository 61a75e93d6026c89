/**
 * The CLI's only way to act: the public HTTP API, the same routes and checks as every other
 * client, so an operator's resolve is the workflow's own accept or refuse, as it is for the console.
 */
import { z } from 'zod';
import type { CreateAccountBody, PatchAccountBody, ResolveAction } from '../contract';
import type { OpsConfig } from './config';
import {
  accountListSchema,
  accountSchema,
  keyCreatedSchema,
  keyRevokedSchema,
  problemSchema,
  recordDetailSchema,
  recordListSchema,
  resolvedSchema,
  usageSchema,
  type AccountList,
  type AccountView,
  type KeyCreated,
  type KeyRevoked,
  type RecordDetail,
  type RecordList,
  type Resolved,
  type Usage,
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

export interface ListQuery {
  status?: string | undefined;
  reason?: string | undefined;
  limit?: number | undefined;
  account?: string | undefined;
  cursor?: string | undefined;
}

export interface UsageQuery {
  from?: string | undefined;
  to?: string | undefined;
  account?: string | undefined;
}

export interface ApiClient {
  listRecords(query: ListQuery): Promise<RecordList>;
  getRecord(ref: string): Promise<RecordDetail>;
  resolve(ref: string, action: ResolveAction): Promise<Resolved>;
  listAccounts(): Promise<AccountList>;
  getAccount(id: string): Promise<AccountView>;
  createAccount(body: CreateAccountBody): Promise<AccountView>;
  updateAccount(id: string, patch: PatchAccountBody): Promise<AccountView>;
  createKey(account: string, role: string): Promise<KeyCreated>;
  revokeKey(keyId: string): Promise<KeyRevoked>;
  usage(query: UsageQuery): Promise<Usage>;
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
  const parsed = problemSchema.safeParse(body);
  if (!parsed.success) return new ApiError(res.status, 'http_error', `HTTP ${res.status} ${res.statusText}`);
  const { type, detail } = parsed.data;
  return new ApiError(res.status, type.slice(type.lastIndexOf(':') + 1), detail);
}

async function call<T>(config: OpsConfig, schema: z.ZodType<T>, method: string, path: string, body?: unknown): Promise<T> {
  const res = await send(config, method, path, body);
  const json = await readJson(res);
  if (!res.ok) throw errorFrom(res, json);
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new ApiError(res.status, 'unexpected_answer', `unexpected answer from ${method} ${path}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

function withQuery(path: string, query: Record<string, string | number | undefined>): string {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined) params.set(name, String(value));
  return params.size ? `${path}?${params.toString()}` : path;
}

export function createApiClient(config: OpsConfig): ApiClient {
  const recordPath = (ref: string) => `/v1/records/${encodeURIComponent(ref)}`;
  const accountPath = (id: string) => `/v1/accounts/${encodeURIComponent(id)}`;
  return {
    listRecords: (query) => call(config, recordListSchema, 'GET', withQuery('/v1/records', { ...query })),
    getRecord: (ref) => call(config, recordDetailSchema, 'GET', recordPath(ref)),
    resolve: (ref, action) => call(config, resolvedSchema, 'POST', `${recordPath(ref)}/resolve`, action),
    listAccounts: () => call(config, accountListSchema, 'GET', '/v1/accounts'),
    getAccount: (id) => call(config, accountSchema, 'GET', accountPath(id)),
    createAccount: (body) => call(config, accountSchema, 'POST', '/v1/accounts', body),
    updateAccount: (id, patch) => call(config, accountSchema, 'PATCH', accountPath(id), patch),
    createKey: (account, role) => call(config, keyCreatedSchema, 'POST', `${accountPath(account)}/keys`, { role }),
    revokeKey: (keyId) => call(config, keyRevokedSchema, 'DELETE', `/v1/keys/${encodeURIComponent(keyId)}`),
    usage: (query) => call(config, usageSchema, 'GET', withQuery('/v1/usage', { ...query })),
  };
}
