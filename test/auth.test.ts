/**
 * Keys and roles on the real API (DESIGN §6, §11): Bearer as RFC 6750 has it, each role's reach,
 * revocation seen by a second API process within 5 s, the per-key rate limit, and every error as
 * problem+json with a correlation id and no internal message.
 */
import { createServer, type Server } from 'node:http';
import pino from 'pino';
import { createConfiguredApp } from '../api/app';
import { createProviderClients } from '../providers/registry';
import type { AppConfig } from '../config';
import { createDb, type Db } from '../db/client';
import { createIngest } from '../ingest';
import { ingestSettings } from '../ingest/settings';
import { call, createAccount, createKey, expectProblem, uniqueAccount, type Target } from './support/accounts';
import { result, uniqueId } from './support/records';
import { startStack, TEST_SECRETS, type Stack } from './support/stack';

let stack: Stack;
let admin: Target;
const closers: Array<() => Promise<void>> = [];
beforeAll(async () => {
  stack = await startStack();
  admin = { baseUrl: stack.baseUrl, apiKey: stack.apiKey };
});
afterAll(async () => {
  for (const close of closers.reverse()) await close();
  await stack?.stop();
});

/** Another API process on the same database and Temporal: its own key cache, rate counters and log. */
async function anotherApi(settings: Partial<AppConfig> = {}, databaseUrl = stack.config.databaseUrl ?? ''): Promise<{ baseUrl: string; logs: string[]; db: Db }> {
  const logs: string[] = [];
  const log = pino({ level: 'debug' }, { write: (line: string) => void logs.push(line) });
  const db = createDb(databaseUrl);
  const config = { ...stack.config, ...settings };
  const ingest = createIngest(ingestSettings(config, db, stack.env.client));
  const server: Server = createServer(createConfiguredApp(config, { db, temporal: stack.env.client, ingest, log, providers: createProviderClients(config.providers, TEST_SECRETS) }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
    await db.$disconnect();
  });
  return { baseUrl: `http://127.0.0.1:${(server.address() as { port: number }).port}`, logs, db };
}

const record = (id: string) => ({ id, input: { text: `Text of ${id}.` } });

describe('the Authorization header', () => {
  it('takes the Bearer scheme in any case and with any spacing (RFC 6750), and nothing else', async () => {
    const account = await createAccount(admin, { id: uniqueAccount('bearer') });
    const { key } = await createKey(admin, account, 'submit');
    for (const header of [`Bearer ${key}`, `bearer ${key}`, `BEARER ${key}`, `Bearer   ${key}`, `  Bearer ${key}  `, `Bearer\t${key}`]) {
      expect({ header, status: (await call(stack.baseUrl, 'GET', '/v1/records', { headers: { authorization: header } })).status }).toEqual({ header, status: 200 });
    }
    for (const header of [`Basic ${key}`, `Bearer${key}`, key, 'Bearer', `Bearer ${key} extra`, `Bearer ${key.slice(0, -1)}`, `Bearer ${key}x`]) {
      const answer = await call(stack.baseUrl, 'GET', '/v1/records', { headers: { authorization: header } });
      expectProblem(answer, 401, 'unauthorized');
      expect(answer.headers.get('www-authenticate')).toMatch(/^Bearer/);
    }
    expectProblem(await call(stack.baseUrl, 'GET', '/v1/records'), 401, 'unauthorized');
  });
});

describe('roles', () => {
  it('submit posts and reads; operate also resolves; only admin manages accounts and keys', async () => {
    const account = await createAccount(admin, { id: uniqueAccount('roles') });
    const [submit, operate, accountAdmin] = await Promise.all((['submit', 'operate', 'admin'] as const).map((role) => createKey(admin, account, role)));
    const id = uniqueId('roles');
    expect((await call(stack.baseUrl, 'POST', '/v1/records', { key: submit?.key, body: record(id) })).status).toBe(202);
    await result(stack, `${account}/${id}`);
    expect((await call(stack.baseUrl, 'GET', `/v1/records/${id}`, { key: submit?.key })).status).toBe(200);
    expect((await call(stack.baseUrl, 'GET', '/v1/usage', { key: submit?.key })).status).toBe(200);

    const resolve = (key?: string) => call(stack.baseUrl, 'POST', `/v1/records/${id}/resolve`, { key, body: { action: 'retry' } });
    expectProblem(await resolve(submit?.key), 403, 'forbidden');
    // Past the role check: the completed record's workflow is closed.
    expectProblem(await resolve(operate?.key), 409, 'conflict');
    for (const key of [submit?.key, operate?.key]) {
      expectProblem(await call(stack.baseUrl, 'GET', '/v1/accounts', { key }), 403, 'forbidden');
      expectProblem(await call(stack.baseUrl, 'POST', `/v1/accounts/${account}/keys`, { key, body: { role: 'admin' } }), 403, 'forbidden');
      expectProblem(await call(stack.baseUrl, 'DELETE', `/v1/keys/${submit?.id}`, { key }), 403, 'forbidden');
    }
    // An admin key of any account manages every account.
    expect((await call(stack.baseUrl, 'GET', '/v1/accounts/default', { key: accountAdmin?.key })).status).toBe(200);
  });
});

describe('revocation', () => {
  it('a key revoked through one API process is refused by another within 5 s, without a restart', async () => {
    const other = await anotherApi();
    const account = await createAccount(admin, { id: uniqueAccount('revoke') });
    const { id: keyId, key } = await createKey(admin, account, 'submit');
    for (const baseUrl of [stack.baseUrl, other.baseUrl]) expect((await call(baseUrl, 'GET', '/v1/records', { key })).status).toBe(200);

    const revokedAt = Date.now();
    expect((await call(stack.baseUrl, 'DELETE', `/v1/keys/${keyId}`, { key: admin.apiKey })).status).toBe(200);
    expectProblem(await call(stack.baseUrl, 'GET', '/v1/records', { key }), 401, 'unauthorized');
    let refusedAfterMs: number | undefined;
    while (refusedAfterMs === undefined && Date.now() - revokedAt < 10_000) {
      if ((await call(other.baseUrl, 'GET', '/v1/records', { key })).status === 401) refusedAfterMs = Date.now() - revokedAt;
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(refusedAfterMs).toBeLessThan(5_000);
    // The key never reaches a log line, at any level, whatever its fate.
    expect(other.logs.length).toBeGreaterThan(0);
    expect(other.logs.join('\n')).not.toContain(key.slice(3));
  });

  it("a key of a deleted account is refused (401) by every process within 5 s", async () => {
    const other = await anotherApi();
    const account = await createAccount(admin, { id: uniqueAccount('deleted') });
    const { key } = await createKey(admin, account, 'operate');
    expect((await call(other.baseUrl, 'GET', '/v1/records', { key })).status).toBe(200);
    await stack.db.account.update({ where: { id: account }, data: { deletedAt: new Date() } });
    const deletedAt = Date.now();
    while ((await call(other.baseUrl, 'GET', '/v1/records', { key })).status !== 401) {
      expect(Date.now() - deletedAt).toBeLessThan(5_000);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expectProblem(await call(stack.baseUrl, 'GET', '/v1/records', { key }), 401, 'unauthorized');
  });
});

describe('the rate limit', () => {
  it('answers 429 with Retry-After past RATE_LIMIT_PER_MINUTE, per key', async () => {
    const limited = await anotherApi({ rateLimitPerMinute: 3 });
    const account = await createAccount(admin, { id: uniqueAccount('rate') });
    const [first, second] = await Promise.all([createKey(admin, account, 'submit'), createKey(admin, account, 'submit')]);
    for (let i = 0; i < 3; i++) expect((await call(limited.baseUrl, 'GET', '/v1/records', { key: first.key })).status).toBe(200);
    const refused = await call(limited.baseUrl, 'GET', '/v1/records', { key: first.key });
    expectProblem(refused, 429, 'rate_limited');
    const retryAfter = Number(refused.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(60);
    // Nothing is stored for a refused post, and another key has its own allowance.
    const id = uniqueId('limited');
    expectProblem(await call(limited.baseUrl, 'POST', '/v1/records', { key: first.key, body: record(id) }), 429, 'rate_limited');
    expect(await stack.db.record.count({ where: { recordKey: id } })).toBe(0);
    expect((await call(limited.baseUrl, 'GET', '/v1/records', { key: second.key })).status).toBe(200);
  });
});

describe('errors', () => {
  it('are problem+json on every path, with the request id of the header in the body', async () => {
    const key = admin.apiKey;
    const id = uniqueId('errors');
    expect((await call(stack.baseUrl, 'POST', '/v1/records', { key, body: record(id) })).status).toBe(202);
    const cases: Array<[number, string, Promise<Awaited<ReturnType<typeof call>>>]> = [
      [400, 'invalid_request', call(stack.baseUrl, 'POST', '/v1/records', { key, body: { id: 'a/b', input: { text: 'x' } } })],
      [400, 'invalid_json', call(stack.baseUrl, 'POST', '/v1/records', { key, body: '{"id":' })],
      [400, 'invalid_request', call(stack.baseUrl, 'GET', '/v1/records?limit=0', { key })],
      [400, 'invalid_request', call(stack.baseUrl, 'GET', '/v1/records?cursor=bm9wZQ', { key })],
      [401, 'unauthorized', call(stack.baseUrl, 'GET', '/v1/records', { key: 'di_000000000000_0000000000000000000000000000000000000000000' })],
      [404, 'not_found', call(stack.baseUrl, 'GET', '/v1/nothing-here', { key })],
      [404, 'not_found', call(stack.baseUrl, 'GET', '/nothing-here')],
      [404, 'not_found', call(stack.baseUrl, 'GET', `/v1/records/${uniqueId('missing')}`, { key })],
      [409, 'conflict', call(stack.baseUrl, 'POST', '/v1/records', { key, body: { id, input: { text: 'Another text.' } } })],
      [413, 'payload_too_large', call(stack.baseUrl, 'POST', '/v1/records', { key, body: { id: 'big', input: { text: 'x'.repeat(1_100_000) } } })],
    ];
    for (const [status, code, answer] of cases) expectProblem(await answer, status, code);
    const invalid = await cases[0]?.[2];
    expect(invalid?.body.issues).toEqual([expect.objectContaining({ path: ['id'], message: expect.any(String) })]);
  });

  it('keeps a usable client request id and replaces one that is not', async () => {
    const kept = await call(stack.baseUrl, 'GET', '/v1/nothing', { key: admin.apiKey, headers: { 'x-request-id': 'client-123' } });
    expect([kept.headers.get('x-request-id'), kept.body.requestId]).toEqual(['client-123', 'client-123']);
    const replaced = await call(stack.baseUrl, 'GET', '/v1/nothing', { key: admin.apiKey, headers: { 'x-request-id': 'bad id\twith spaces' } });
    expect(replaced.body.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await fetch(`${stack.baseUrl}/healthz`)).headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('an unreachable database gives 503 (ingest) and 500 (a read) with no internal message, which the log keeps under the request id', async () => {
    // Nothing listens on port 9 of the loopback: every connection is refused at once.
    const down = await anotherApi({}, 'postgresql://nobody:nothing@127.0.0.1:9/none');
    const unavailable = await call(down.baseUrl, 'POST', '/v1/records', { key: admin.apiKey, body: record(uniqueId('down')) });
    expectProblem(unavailable, 503, 'unavailable');
    expect(unavailable.headers.get('retry-after')).toBe('5');
    const internal = await call(down.baseUrl, 'GET', '/v1/records', { key: admin.apiKey });
    expectProblem(internal, 500, 'internal');
    for (const answer of [unavailable, internal]) {
      expect(JSON.stringify(answer.body)).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|prisma|postgres/i);
      expect(down.logs.some((line) => line.includes(answer.body.requestId) && line.includes("Can't reach database server"))).toBe(true);
    }
  });
});
