/** Accounts and keys made through the real admin routes, and requests with any method, key and headers. */
import { randomUUID } from 'node:crypto';

export interface Target {
  baseUrl: string;
  /** An admin key. */
  apiKey: string;
}

export interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

export async function call(baseUrl: string, method: string, path: string, options: { key?: string; body?: unknown; headers?: Record<string, string> } = {}): Promise<Answer> {
  const res = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      ...(options.key === undefined ? {} : { authorization: `Bearer ${options.key}` }),
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      ...options.headers,
    },
    ...(options.body === undefined ? {} : { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) }),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : null };
}

/** An account id no other test run uses (the shared database outlives runs). */
export const uniqueAccount = (label: string): string => `${label}-${randomUUID().slice(0, 8)}`;

export async function createAccount(target: Target, body: Record<string, unknown> & { id: string }): Promise<string> {
  const answer = await call(target.baseUrl, 'POST', '/v1/accounts', { key: target.apiKey, body: { name: body.id, ...body } });
  if (answer.status !== 201) throw new Error(`account ${body.id}: HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
  return body.id;
}

export async function createKey(target: Target, account: string, role: 'submit' | 'operate' | 'admin'): Promise<{ id: string; key: string }> {
  const answer = await call(target.baseUrl, 'POST', `/v1/accounts/${account}/keys`, { key: target.apiKey, body: { role } });
  if (answer.status !== 201) throw new Error(`key for ${account}: HTTP ${answer.status} ${JSON.stringify(answer.body)}`);
  return { id: answer.body.id, key: answer.body.key };
}

/** What every error answer is (DESIGN §6): problem+json with its status, and the request id of the header in the body. */
export function expectProblem(answer: Answer, status: number, code?: string): void {
  expect({ status: answer.status, type: answer.headers.get('content-type') }).toEqual({ status, type: expect.stringContaining('application/problem+json') });
  expect(answer.body).toMatchObject({ type: expect.stringMatching(code ? new RegExp(`:${code}$`) : /problem:/), title: expect.any(String), status, detail: expect.any(String) });
  expect(answer.body.requestId).toBe(answer.headers.get('x-request-id'));
}
