/**
 * Accounts, keys and money (DESIGN §11) through the real HTTP API, workflows, workers and
 * PostgreSQL: records of two accounts never meet, a key sees its own account only, a budget admits
 * exactly what it pays for however many arrive at once, a refund gives one price back, and usage
 * adds it up. A database of its own: usage and counts are totals.
 */
import { workflowIdFor } from '../contract';
import { call, createAccount, createKey, expectProblem, uniqueAccount, type Target } from './support/accounts';
import { migratedDatabase } from './support/database';
import { ledgerOf, result, uniqueId, waitForStatus } from './support/records';
import { startStack, type Stack } from './support/stack';
import { uploadFile } from './support/uploads';

let stack: Stack;
let admin: Target;
let drop: () => Promise<void>;
beforeAll(async () => {
  const database = await migratedDatabase(`accounts_test_${process.pid}`);
  drop = database.drop;
  stack = await startStack({ databaseUrl: database.url });
  admin = { baseUrl: stack.baseUrl, apiKey: stack.apiKey };
});
afterAll(async () => {
  await stack?.stop();
  await drop?.();
});

const exhaustPersist = { faults: [{ step: 'persist', when: 'before', times: 50 }] };
const as = (key: string) => ({
  post: (path: string, body: unknown) => call(stack.baseUrl, 'POST', path, { key, body }),
  get: (path: string) => call(stack.baseUrl, 'GET', path, { key }),
});
const record = (id: string, text: string, simulate?: unknown) => ({ id, input: { text }, ...(simulate ? { simulate } : {}) });

describe('two accounts', () => {
  let acme: string;
  let globex: string;
  let acmeKey: string;
  let globexKey: string;
  let acmeOperator: string;
  beforeAll(async () => {
    [acme, globex] = await Promise.all([createAccount(admin, { id: uniqueAccount('acme'), priceCents: 7 }), createAccount(admin, { id: uniqueAccount('globex'), priceCents: 3 })]);
    const keys = await Promise.all([createKey(admin, acme, 'submit'), createKey(admin, globex, 'submit'), createKey(admin, acme, 'operate')]);
    [acmeKey, globexKey, acmeOperator] = [keys[0].key, keys[1].key, keys[2].key];
  });

  it('use the same record id without meeting: two workflows, two charges, each record priced by its own account', async () => {
    const id = uniqueId('shared');
    const [a, g] = await Promise.all([as(acmeKey).post('/v1/records', record(id, 'Acme text.')), as(globexKey).post('/v1/records', record(id, 'Globex text.'))]);
    expect(a).toMatchObject({ status: 202, body: { id, workflowId: workflowIdFor(`${acme}/${id}`), duplicate: false } });
    expect(g).toMatchObject({ status: 202, body: { id, workflowId: workflowIdFor(`${globex}/${id}`), duplicate: false } });
    expect((await result(stack, `${acme}/${id}`)).status).toBe('completed');
    expect((await result(stack, `${globex}/${id}`)).status).toBe('completed');
    const [acmeLedger, globexLedger] = await Promise.all([ledgerOf(stack, `${acme}/${id}`), ledgerOf(stack, `${globex}/${id}`)]);
    expect(acmeLedger.charges).toEqual([expect.objectContaining({ idempotencyKey: `charge-${acme}/${id}`, status: 'charged' })]);
    expect(globexLedger.charges).toEqual([expect.objectContaining({ idempotencyKey: `charge-${globex}/${id}`, status: 'charged' })]);
    // Each at its own account's price, reserved at ingest.
    expect([acmeLedger.record, globexLedger.record]).toEqual([
      expect.objectContaining({ accountId: acme, recordKey: id, priceCents: 7 }),
      expect.objectContaining({ accountId: globex, recordKey: id, priceCents: 3 }),
    ]);

    const seen = await Promise.all([as(acmeKey).get(`/v1/records/${id}`), as(globexKey).get(`/v1/records/${id}`)]);
    expect(seen.map((s): unknown[] => [s.status, s.body.account, s.body.input.text])).toEqual([
      [200, acme, 'Acme text.'],
      [200, globex, 'Globex text.'],
    ]);
    // The same body again is a duplicate in its own account only.
    expect(await as(acmeKey).post('/v1/records', record(id, 'Acme text.'))).toMatchObject({ status: 200, body: { duplicate: true } });
  });

  it("a key gets 404 for another account's record: read, list, resolve, upload and usage", async () => {
    const id = uniqueId('globex-only');
    expect((await as(globexKey).post('/v1/records', record(id, 'Only in globex.'))).status).toBe(202);
    await result(stack, `${globex}/${id}`);

    expectProblem(await as(acmeKey).get(`/v1/records/${id}`), 404, 'not_found');
    expectProblem(await as(acmeKey).get(`/v1/records/${encodeURIComponent(`${globex}/${id}`)}`), 404, 'not_found');
    expectProblem(await as(acmeOperator).post(`/v1/records/${id}/resolve`, { action: 'retry' }), 404, 'not_found');
    expectProblem(await as(acmeOperator).post(`/v1/records/${encodeURIComponent(`${globex}/${id}`)}/resolve`, { action: 'retry' }), 404, 'not_found');
    expectProblem(await as(acmeKey).get(`/v1/usage?account=${globex}`), 404, 'not_found');
    expectProblem(await as(acmeKey).get(`/v1/records?account=${globex}`), 404, 'not_found');
    const listed = await as(acmeKey).get('/v1/records?limit=1000');
    expect(listed.body.records.every((r: { account: string }) => r.account === acme)).toBe(true);

    // The same id uploaded by acme is acme's own new record, not a duplicate of globex's.
    const upload = await uploadFile({ ...stack, apiKey: acmeKey }, 'same.jsonl', JSON.stringify(record(id, 'Acme writes the same id.')));
    expect(upload.body.outcomes).toEqual([{ line: 1, id, outcome: 'accepted' }]);
    expect((await as(globexKey).get(`/v1/records/${id}`)).body.input.text).toBe('Only in globex.');
    expect((await ledgerOf(stack, `${acme}/${id}`)).record).toMatchObject({ accountId: acme, source: 'upload' });

    // An admin names another account's record by its global id.
    expect(await call(stack.baseUrl, 'GET', `/v1/records/${encodeURIComponent(`${globex}/${id}`)}`, { key: admin.apiKey })).toMatchObject({ status: 200, body: { id, account: globex } });
  });
});

describe('budgets (G9)', () => {
  it('200 simultaneous posts against a budget for 25 records admit exactly 25, the rest 402 with nothing stored', async () => {
    const account = await createAccount(admin, { id: uniqueAccount('budget'), priceCents: 4, budgetCents: 100 });
    const { key } = await createKey(admin, account, 'submit');
    const run = uniqueId('b');
    const answers = await Promise.all(Array.from({ length: 200 }, (_, i) => as(key).post('/v1/records', record(`${run}-${i}`, `Record ${i}.`))));
    const byStatus = answers.reduce<Record<number, number>>((counts, a) => ({ ...counts, [a.status]: (counts[a.status] ?? 0) + 1 }), {});
    expect(byStatus).toEqual({ 202: 25, 402: 175 });
    const refused = answers.find((a) => a.status === 402) as (typeof answers)[number];
    expectProblem(refused, 402, 'over_budget');
    expect(refused.body).toMatchObject({ budgetCents: 100, remainingCents: expect.any(Number), priceCents: 4 });
    expect(refused.body.remainingCents).toBeLessThan(4);
    expect(await stack.db.record.count({ where: { accountId: account } })).toBe(25);
    expect(await call(stack.baseUrl, 'GET', `/v1/accounts/${account}`, { key: admin.apiKey })).toMatchObject({ status: 200, body: { budgetCents: 100, reservedCents: 100, remainingCents: 0 } });
  });

  it("a refund gives back exactly one record's price", async () => {
    const account = await createAccount(admin, { id: uniqueAccount('refund'), priceCents: 5, budgetCents: 10 });
    const { key } = await createKey(admin, account, 'submit');
    const run = uniqueId('r');
    for (const n of [1, 2]) expect((await as(key).post('/v1/records', record(`${run}-${n}`, 'Parks after its charge.', exhaustPersist))).status).toBe(202);
    await Promise.all([1, 2].map((n) => waitForStatus(stack, `${account}/${run}-${n}`, 'needs_investigation')));
    expectProblem(await as(key).post('/v1/records', record(`${run}-3`, 'Over budget.')), 402, 'over_budget');

    // The lifecycle's abandon, through the resolve signal: refunds the charge and ends the record failed.
    await stack.env.client.workflow.getHandle(workflowIdFor(`${account}/${run}-1`)).signal('resolve', { action: 'abandon', reason: 'test refund' });
    expect((await result(stack, `${account}/${run}-1`)).status).toBe('failed');
    const refundedCharges = (await ledgerOf(stack, `${account}/${run}-1`)).charges;
    expect(refundedCharges).toEqual([expect.objectContaining({ status: 'refunded' })]);
    const refunded = refundedCharges[0]?.amountCents;
    expect((await call(stack.baseUrl, 'GET', `/v1/accounts/${account}`, { key: admin.apiKey })).body).toMatchObject({ reservedCents: 5, remainingCents: 5 });

    expect((await as(key).post('/v1/records', record(`${run}-3`, 'Fits again.'))).status).toBe(202);
    expectProblem(await as(key).post('/v1/records', record(`${run}-4`, 'Over budget again.')), 402, 'over_budget');
    const usage = await as(key).get('/v1/usage');
    expect(usage.body.accounts).toEqual([
      expect.objectContaining({ account, refundedCents: refunded, chargedCents: expect.any(Number), budget: expect.objectContaining({ budgetCents: 10, reservedCents: 10, remainingCents: 0 }) }),
    ]);
  });
});

describe('usage', () => {
  it('adds up records, charges, model calls and their cost, budget and margin per account', async () => {
    const account = await createAccount(admin, { id: uniqueAccount('usage'), priceCents: 9, budgetCents: 1000 });
    const { key } = await createKey(admin, account, 'submit');
    const ids = [1, 2, 3].map((n) => uniqueId(`u${n}`));
    for (const id of ids) expect((await as(key).post('/v1/records', record(id, `Usage ${id}.`))).status).toBe(202);
    for (const id of ids) await result(stack, `${account}/${id}`);
    const globalIds = ids.map((id) => `${account}/${id}`);
    const calls = await stack.db.modelCall.findMany({ where: { recordId: { in: globalIds } } });
    const cost = calls.reduce((sum, c) => sum + c.costMicros, 0);
    const charges = await stack.db.charge.findMany({ where: { recordId: { in: globalIds } } });
    expect(charges).toHaveLength(3);
    const charged = charges.reduce((sum, c) => sum + c.amountCents, 0);

    const usage = await as(key).get('/v1/usage');
    expect(usage.status).toBe(200);
    expect(usage.body.accounts).toEqual([
      {
        account,
        name: account,
        currency: 'usd',
        records: { completed: 3 },
        chargedCents: charged,
        refundedCents: 0,
        pendingCents: 0,
        modelCalls: [{ provider: 'primary', calls: calls.length, tokensIn: expect.any(Number), tokensOut: expect.any(Number), costMicros: cost }],
        modelCostMicros: cost,
        marginMicros: charged * 10_000 - cost,
        budget: { month: expect.stringMatching(/^\d{4}-\d{2}-01$/), budgetCents: 1000, reservedCents: 27, remainingCents: 973 },
      },
    ]);
    // A period with nothing in it, and one the wrong way round.
    const empty = await as(key).get('/v1/usage?from=2020-01-01&to=2020-02-01');
    expect(empty.body.accounts[0]).toMatchObject({ records: {}, chargedCents: 0, modelCalls: [], marginMicros: 0 });
    expectProblem(await as(key).get('/v1/usage?from=2020-02-01&to=2020-01-01'), 400, 'invalid_request');
    expectProblem(await as(key).get('/v1/usage?from=yesterday'), 400, 'invalid_request');
    // An admin sees every account, or the one it names.
    const all = await call(stack.baseUrl, 'GET', '/v1/usage', { key: admin.apiKey });
    expect(all.body.accounts.map((a: { account: string }) => a.account)).toEqual(expect.arrayContaining(['default', account]));
    expect((await call(stack.baseUrl, 'GET', `/v1/usage?account=${account}`, { key: admin.apiKey })).body.accounts).toHaveLength(1);
  });
});

describe('admin routes', () => {
  const adminCall = (method: string, path: string, body?: unknown) => call(stack.baseUrl, method, path, { key: admin.apiKey, body });
  const tableCounts = async () => [await stack.db.account.count(), await stack.db.apiKey.count()];

  it('create, list, show and change an account; a budget below what is reserved is refused with nothing changed', async () => {
    const id = uniqueAccount('shop');
    const created = await adminCall('POST', '/v1/accounts', { id, name: 'Shop', priceCents: 10, currency: 'eur', budgetCents: 50, stripeCustomerId: 'cus_123' });
    expect(created).toMatchObject({ status: 201, body: { id, name: 'Shop', priceCents: 10, currency: 'eur', budgetCents: 50, stripeCustomerId: 'cus_123', reservedCents: 0, remainingCents: 50 } });
    expect((await adminCall('GET', '/v1/accounts')).body.accounts.map((a: { id: string }) => a.id)).toEqual(expect.arrayContaining(['default', id]));
    const { key } = await createKey(admin, id, 'submit');
    for (const n of [1, 2, 3]) expect((await as(key).post('/v1/records', record(uniqueId(`s${n}`), 'Reserves 10.'))).status).toBe(202);

    const refused = await adminCall('PATCH', `/v1/accounts/${id}`, { budgetCents: 20, name: 'Renamed' });
    expectProblem(refused, 409, 'conflict');
    expect(refused.body.detail).toContain('30 cents');
    expect((await adminCall('GET', `/v1/accounts/${id}`)).body).toMatchObject({ name: 'Shop', budgetCents: 50, reservedCents: 30 });

    expect(await adminCall('PATCH', `/v1/accounts/${id}`, { budgetCents: 30, name: 'Renamed' })).toMatchObject({ status: 200, body: { name: 'Renamed', budgetCents: 30, remainingCents: 0 } });
    expect(await adminCall('PATCH', `/v1/accounts/${id}`, { budgetCents: null, priceCents: null, stripeCustomerId: null })).toMatchObject({
      status: 200,
      body: { budgetCents: null, priceCents: null, stripeCustomerId: null, remainingCents: null },
    });
  });

  it('refuses bad input with a clear 4xx as problem+json, storing nothing', async () => {
    const id = uniqueAccount('dup');
    await createAccount(admin, { id });
    const deleted = await createAccount(admin, { id: uniqueAccount('gone') });
    await stack.db.account.update({ where: { id: deleted }, data: { deletedAt: new Date() } });
    const { id: keyId } = await createKey(admin, id, 'operate');
    expect((await adminCall('DELETE', `/v1/keys/${keyId}`)).status).toBe(200);
    const before = await tableCounts();
    const refusals: Array<[string, string, unknown, number]> = [
      ['POST', '/v1/accounts', { id: 'Not_Valid', name: 'x' }, 400],
      ['POST', '/v1/accounts', { id: 'a'.repeat(65), name: 'x' }, 400],
      ['POST', '/v1/accounts', { id: uniqueAccount('x'), name: '' }, 400],
      ['POST', '/v1/accounts', { id: uniqueAccount('x'), name: 'x', budgetCents: -1 }, 400],
      ['POST', '/v1/accounts', { id: uniqueAccount('x'), name: 'x', currency: 'EURO' }, 400],
      ['POST', '/v1/accounts', { id: uniqueAccount('x'), name: 'x', extra: 1 }, 400],
      ['POST', '/v1/accounts', { id, name: 'again' }, 409],
      ['GET', '/v1/accounts/NOPE', undefined, 400],
      ['GET', `/v1/accounts/${uniqueAccount('missing')}`, undefined, 404],
      ['GET', `/v1/accounts/${deleted}`, undefined, 404],
      ['PATCH', `/v1/accounts/${id}`, {}, 400],
      ['PATCH', `/v1/accounts/${id}`, { id: 'renamed' }, 400],
      ['PATCH', `/v1/accounts/${uniqueAccount('missing')}`, { name: 'x' }, 404],
      ['POST', `/v1/accounts/${id}/keys`, { role: 'root' }, 400],
      ['POST', `/v1/accounts/${id}/keys`, {}, 400],
      ['POST', '/v1/accounts/Bad_Id/keys', { role: 'submit' }, 400],
      ['POST', `/v1/accounts/${deleted}/keys`, { role: 'submit' }, 404],
      ['POST', `/v1/accounts/${uniqueAccount('missing')}/keys`, { role: 'submit' }, 404],
      ['DELETE', `/v1/keys/${keyId}`, undefined, 409],
      ['DELETE', '/v1/keys/000000000000', undefined, 404],
      ['DELETE', '/v1/keys/env-1', undefined, 409],
    ];
    for (const [method, path, body, status] of refusals) {
      const answer = await adminCall(method, path, body);
      expect({ method, path, status: answer.status }).toEqual({ method, path, status });
      expectProblem(answer, status);
      if (status === 400) expect(answer.body.issues.length).toBeGreaterThan(0);
    }
    expect(await tableCounts()).toEqual(before);
  });

  it('shows a key once and stores only its SHA-256', async () => {
    const account = await createAccount(admin, { id: uniqueAccount('keys') });
    const created = await adminCall('POST', `/v1/accounts/${account}/keys`, { role: 'submit' });
    expect(created).toMatchObject({ status: 201, body: { id: expect.stringMatching(/^[0-9a-f]{12}$/), account, role: 'submit', key: expect.stringMatching(/^di_[0-9a-f]{12}_[\w-]{43}$/) } });
    const row = await stack.db.apiKey.findUniqueOrThrow({ where: { id: created.body.id } });
    const { createHash } = await import('node:crypto');
    expect(row.hash).toBe(createHash('sha256').update(created.body.key).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(created.body.key.slice(17));
  });
});
