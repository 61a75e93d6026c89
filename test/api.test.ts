/** The HTTP contract of DESIGN §6: status codes, problem+json errors, and nothing stored for a rejected request. */
import { migratedDatabase } from './support/database';
import { get, post, result, submit, uniqueId } from './support/records';
import { startStack, type Stack } from './support/stack';

let stack: Stack;
let drop: () => Promise<void>;
beforeAll(async () => {
  // "Nothing stored" compares table totals, which records of other test files would move.
  const database = await migratedDatabase(`api_test_${process.pid}`);
  drop = database.drop;
  stack = await startStack({ databaseUrl: database.url });
});
afterAll(async () => {
  await stack?.stop();
  await drop?.();
});

const counts = async () => ({ records: await stack.db.record.count(), events: await stack.db.recordEvent.count() });

async function expectNothingStored(request: () => Promise<{ status: number; body: any }>, status: number) {
  const before = await counts();
  const answer = await request();
  expect(answer.status).toBe(status);
  expect(answer.body).toMatchObject({ type: expect.stringContaining('problem:'), title: expect.any(String), status, detail: expect.any(String), requestId: expect.any(String) });
  expect(await counts()).toEqual(before);
  return answer;
}

describe('authentication', () => {
  it('refuses /v1 without a key or with a wrong one, and leaves health endpoints open', async () => {
    const id = uniqueId('auth');
    await expectNothingStored(() => submit({ ...stack, apiKey: '' }, id, 'x'), 401);
    await expectNothingStored(() => post(stack, '/v1/records', { id, input: { text: 'x' } }, 'wrong-key'), 401);
    expect((await get(stack, '/v1/records', 'wrong')).status).toBe(401);
    expect((await fetch(`${stack.baseUrl}/healthz`)).status).toBe(200);
    const ready = await fetch(`${stack.baseUrl}/readyz`);
    expect({ status: ready.status, body: await ready.json() }).toEqual({ status: 200, body: { database: true, temporal: true } });
  });
});

describe('validation', () => {
  it.each([
    ['an id with a slash', { id: 'a/b', input: { text: 'x' } }, 'id'],
    ['an id of 129 characters', { id: 'a'.repeat(129), input: { text: 'x' } }, 'id'],
    ['empty text', { id: 'ok', input: { text: '' } }, 'input.text'],
    ['text over 100000 characters', { id: 'ok', input: { text: 'a'.repeat(100_001) } }, 'input.text'],
    ['non-string metadata', { id: 'ok', input: { text: 'x', metadata: { a: 1 } } }, 'input.metadata.a'],
    ['an unknown field', { id: 'ok', input: { text: 'x' }, extra: true }, 'body'],
    ['a fault plan with an unknown step', { id: 'ok', input: { text: 'x' }, simulate: { faults: [{ step: 'bake', when: 'before', times: 1 }] } }, 'simulate'],
  ])('rejects %s with 400 and the zod issues', async (_name, body, path) => {
    const answer = await expectNothingStored(() => post(stack, '/v1/records', body), 400);
    expect(answer.body.detail).toContain(path === 'body' ? 'extra' : path);
    expect(answer.body.issues.length).toBeGreaterThan(0);
  });

  it('answers invalid JSON with 400 and a body over the limit with 413, as problem+json', async () => {
    await expectNothingStored(() => post(stack, '/v1/records', '{"id": '), 400);
    const huge = JSON.stringify({ id: 'huge', input: { text: 'x'.repeat(1_100_000) } });
    await expectNothingStored(() => post(stack, '/v1/records', huge), 413);
  });

  it('accepts an id at the 128-character limit and unicode text', async () => {
    const id = `${uniqueId('max')}-${'x'.repeat(128)}`.slice(0, 128);
    const text = 'Patiënt: 体温 38.5 °C — ✓ ナトリウム 🙂';
    expect((await submit(stack, id, text)).status).toBe(202);
    await result(stack, id);
    const view = await get(stack, `/v1/records/${id}`);
    expect(view.status).toBe(200);
    expect(view.body).toMatchObject({ id, account: 'default', status: 'completed', input: { text }, charge: { amountCents: 5, status: 'charged' }, result: { source: 'model', tier: 'model' }, modelOutput: { provider: 'primary' } });
    expect(view.body.costMicros).toBe(view.body.calls[0].costMicros);
    expect(view.body.calls).toEqual([expect.objectContaining({ provider: 'primary', attempt: 1, outcome: 'ok' })]);
  });

  it('answers 404 for an unknown record and for an unknown route', async () => {
    expect((await get(stack, `/v1/records/${uniqueId('missing')}`)).status).toBe(404);
    expect((await get(stack, '/v1/nothing-here')).status).toBe(404);
  });

  it('refuses resolve for a record that is not waiting for an operator', async () => {
    const id = uniqueId('not-parked');
    await submit(stack, id, 'Completes normally.');
    await result(stack, id);
    expect((await post(stack, `/v1/records/${id}/resolve`, { action: 'retry' })).status).toBe(409);
    expect((await post(stack, `/v1/records/${id}/resolve`, { action: 'abandon' })).status).toBe(400);
  });

  it('lists records by status', async () => {
    const id = uniqueId('listed');
    await submit(stack, id, 'Listed.');
    await result(stack, id);
    const listed = await get(stack, '/v1/records?status=completed&limit=1000');
    expect(listed.status).toBe(200);
    expect(listed.body.records.map((r: { id: string }) => r.id)).toContain(id);
    expect((await get(stack, '/v1/records?status=bogus')).status).toBe(400);
  });
});
