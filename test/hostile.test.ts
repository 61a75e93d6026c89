/**
 * Hostile input (issue 6): whatever arrives, the API answers with a 4xx or a 2xx, never a 5xx,
 * stores nothing for what it rejects, and the workflow survives any signal payload.
 */
import fc from 'fast-check';
import { createRecordBodySchema, faultPlanSchema, workflowIdFor } from '../contract';
import { migratedDatabase } from './support/database';
import { get, ledgerOf, post, result, submit, uniqueId, waitForStatus } from './support/records';
import { startStack, type Stack } from './support/stack';

let stack: Stack;
let drop: () => Promise<void>;
beforeAll(async () => {
  // Row counts are compared before and after each request, so no other test file may write here.
  const database = await migratedDatabase(`hostile_test_${process.pid}`);
  drop = database.drop;
  stack = await startStack({ databaseUrl: database.url });
});
afterAll(async () => {
  await stack?.stop();
  await drop?.();
});

const rowCounts = async () => [await stack.db.record.count(), await stack.db.recordEvent.count(), await stack.db.charge.count()];

async function rawPost(path: string, body: Buffer | string, contentType = 'application/json') {
  const res = await fetch(`${stack.baseUrl}${path}`, { method: 'POST', headers: { 'content-type': contentType, authorization: `Bearer ${stack.apiKey}` }, body });
  return { status: res.status, type: res.headers.get('content-type') ?? '', body: await res.text() };
}

/** Runs one request that must be refused: a problem+json 4xx, and not a row more than before. */
async function expectRefusedAndNothingStored(send: () => Promise<{ status: number; type: string }>): Promise<void> {
  const before = await rowCounts();
  const answer = await send();
  expect(answer.status).toBeGreaterThanOrEqual(400);
  expect(answer.status).toBeLessThan(500);
  expect(answer.type).toContain('application/problem+json');
  expect(await rowCounts()).toEqual(before);
}

const invalidBodies = fc.anything({ maxDepth: 4 }).filter((value) => !createRecordBodySchema.safeParse(value).success);

it('never answers a malformed record body with a 5xx, and stores nothing for it', async () => {
  await fc.assert(
    fc.asyncProperty(invalidBodies, async (body) => {
      await expectRefusedAndNothingStored(() => rawPost('/v1/records', JSON.stringify(body) ?? 'undefined'));
    }),
    { numRuns: 150 },
  );
});

it('refuses every fault plan that is not one, as 400, with nothing stored', async () => {
  const plans = fc.oneof(
    fc.anything({ maxDepth: 3 }),
    fc.record({ faults: fc.array(fc.record({ step: fc.string(), when: fc.string(), times: fc.integer(), kind: fc.string() }, { requiredKeys: [] })) }),
  ).filter((plan) => plan !== undefined && !faultPlanSchema.safeParse(plan).success);
  await fc.assert(
    fc.asyncProperty(plans, async (simulate) => {
      await expectRefusedAndNothingStored(() => rawPost('/v1/records', JSON.stringify({ id: uniqueId('plan'), input: { text: 'x' }, simulate })));
    }),
    { numRuns: 100 },
  );
});

it('refuses oversized, deeply nested, non-JSON and invalid UTF-8 bodies', async () => {
  const deep = `${'['.repeat(50_000)}${']'.repeat(50_000)}`;
  const invalidUtf8 = Buffer.concat([Buffer.from('{"id":"utf8-bad","input":{"text":"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}}')]);
  for (const body of [deep, invalidUtf8, 'id=1&text=2', JSON.stringify({ id: 'big', input: { text: 'x'.repeat(2_000_000) } })]) {
    await expectRefusedAndNothingStored(() => rawPost('/v1/records', body));
  }
  await expectRefusedAndNothingStored(() => rawPost('/v1/records', JSON.stringify({ id: 'form', input: { text: 'x' } }), 'text/plain'));
});

it('keeps CSV-injection text verbatim as data, and treats ids that differ by case as different records', async () => {
  const text = `=cmd|' /C calc'!A0\n+SUM(1,2)\n-2+3\n@import`;
  const id = uniqueId('Case');
  expect((await submit(stack, id, text)).status).toBe(202);
  expect((await submit(stack, id.toLowerCase(), text)).status).toBe(202);
  await Promise.all([id, id.toLowerCase()].map((each) => result(stack, each)));
  expect((await get(stack, `/v1/records/${id}`)).body.input.text).toBe(text);
  // Non-ASCII ids are refused outright, so Unicode normalisation can never merge two ids.
  await expectRefusedAndNothingStored(() => rawPost('/v1/records', JSON.stringify({ id: 'cafe\u0301', input: { text } })));
});

it('refuses simulate when fault injection is disabled', async () => {
  const production = await startStack({ databaseUrl: process.env.DATABASE_URL, settings: { FAULT_INJECTION: 'disabled' } });
  try {
    const answer = await post(production, '/v1/records', { id: uniqueId('no-faults'), input: { text: 'x' }, simulate: { faults: [{ step: 'charge', when: 'before', times: 1 }] } });
    expect(answer).toMatchObject({ status: 400, body: { detail: expect.stringContaining('fault injection is disabled') } });
  } finally {
    await production.stop();
  }
});

it('a parked workflow survives any resolve payload: rejected ones are recorded, it keeps waiting', async () => {
  const id = uniqueId('signals');
  await submit(stack, id, 'Parked for fuzzing.', { faults: [{ step: 'persist', when: 'before', times: 50 }] });
  await waitForStatus(stack, id, 'needs_investigation');
  const handle = stack.env.client.workflow.getHandle(workflowIdFor(id));
  const payloads = fc.anything({ maxDepth: 3 }).filter((p) => !(typeof p === 'object' && p !== null && 'action' in p));
  let sent = 0;
  await fc.assert(
    fc.asyncProperty(payloads, async (payload) => {
      await handle.signal('resolve', payload);
      sent += 1;
      const api = await rawPost(`/v1/records/${id}/resolve`, JSON.stringify(payload) ?? 'null');
      expect(api.status).toBe(400);
    }),
    { numRuns: 40 },
  );
  const recorded = async () => (await ledgerOf(stack, id)).events.filter((e) => (e.detail as { rejectedSignal?: string } | null)?.rejectedSignal).length;
  for (let i = 0; i < 200 && (await recorded()) < sent; i++) await new Promise((r) => setTimeout(r, 50));
  expect(await recorded()).toBe(sent);
  expect((await waitForStatus(stack, id, 'needs_investigation')).status).toBe('needs_investigation');
});
