/**
 * Service when every model fails (DESIGN §13): with DEGRADATION=cache,rules a record the provider
 * chain cannot serve is served by the cache (an identical input's stored answer, same account) or,
 * failing that, by the rules, whose low confidence sends it to a person; OUTPUT_REUSE=always asks
 * the cache before any provider. Never across accounts.
 */
import { call, createAccount, createKey, uniqueAccount } from './support/accounts';
import { get, invariantViolations, ledgerOf, result, submit, uniqueId, waitForStatus } from './support/records';
import { startStack, type Stack } from './support/stack';

let stack: Stack;
let reusing: Stack;
beforeAll(async () => {
  stack = await startStack({ settings: { DEGRADATION: 'cache,rules', BREAKER_FAILURE_THRESHOLD: '1000' } });
  reusing = await startStack({ settings: { OUTPUT_REUSE: 'always', BREAKER_FAILURE_THRESHOLD: '1000' } });
});
afterAll(async () => {
  await stack?.stop();
  await reusing?.stop();
});

// A refusal is not retried, so the chain is down after one call per provider.
const EVERY_PROVIDER_DOWN = {
  faults: [
    { provider: 'primary', status: 401, times: 5 },
    { provider: 'fallback', status: 401, times: 5 },
  ],
};

const resultOf = async (s: Stack, id: string) => (await get(s, `/v1/records/${id}`)).body.result as { source: string; tier: string; confidence: number };

it('every provider down: an input served before completes from the cache, a new one gets a rules result and waits for review', async () => {
  const text = `Potassium 6.9 mmol/L, flagged HH (critical) ${uniqueId('text')}.`;
  const served = uniqueId('served');
  await submit(stack, served, text);
  expect((await result(stack, served)).status).toBe('completed');

  const cached = uniqueId('cached');
  await submit(stack, cached, text, EVERY_PROVIDER_DOWN);
  expect((await result(stack, cached)).status).toBe('completed');
  expect(await resultOf(stack, cached)).toMatchObject({ source: 'cache', tier: 'cache' });
  const cachedLedger = await ledgerOf(stack, cached);
  // The chain was asked and failed; no model answered this record, and it was charged once.
  expect(cachedLedger.calls.map((c) => [c.provider, c.outcome])).toEqual([
    ['primary', 'rejected'],
    ['fallback', 'rejected'],
  ]);
  expect(cachedLedger.okCalls).toEqual([]);
  expect(cachedLedger.outputs.map((o) => o.tier)).toEqual(['cache']);
  expect(cachedLedger.charges).toHaveLength(1);

  const ruled = uniqueId('ruled');
  await submit(stack, ruled, `Sodium 118 mmol/L, flagged LL ${uniqueId('text')}.`, EVERY_PROVIDER_DOWN);
  const parked = await waitForStatus(stack, ruled, 'needs_investigation');
  expect(parked.investigation).toMatchObject({ step: 'inference', reason: 'low_confidence' });
  const ruledLedger = await ledgerOf(stack, ruled);
  expect(ruledLedger.okCalls).toEqual([]);
  expect(ruledLedger.outputs).toEqual([expect.objectContaining({ tier: 'rules', provider: 'rules', confidence: 0.3 })]);

  expect((await invariantViolations(stack)).filter((v) => [served, cached, ruled].some((id) => v.endsWith(id)))).toEqual([]);
});

it('the cache never crosses accounts', async () => {
  const text = `Hemoglobin 7.1 g/dL, flagged L ${uniqueId('text')}.`;
  const served = uniqueId('served-default');
  await submit(stack, served, text);
  expect((await result(stack, served)).status).toBe('completed');

  const account = await createAccount(stack, { id: uniqueAccount('other') });
  const { key } = await createKey(stack, account, 'operate');
  const elsewhere = uniqueId('elsewhere');
  const posted = await call(stack.baseUrl, 'POST', '/v1/records', { key, body: { id: elsewhere, input: { text }, simulate: EVERY_PROVIDER_DOWN } });
  expect(posted.status).toBe(202);
  const parked = await waitForStatus(stack, `${account}/${elsewhere}`, 'needs_investigation');
  expect(parked.investigation).toMatchObject({ reason: 'low_confidence' });
  expect((await ledgerOf(stack, `${account}/${elsewhere}`)).outputs.map((o) => o.tier)).toEqual(['rules']);
});

it('OUTPUT_REUSE=always serves an identical input from the cache with no model call at all', async () => {
  const text = `Creatinine 310 umol/L ${uniqueId('text')}.`;
  const first = uniqueId('first');
  await submit(reusing, first, text);
  expect((await result(reusing, first)).status).toBe('completed');
  const again = uniqueId('again');
  await submit(reusing, again, text);
  expect((await result(reusing, again)).status).toBe('completed');
  const ledger = await ledgerOf(reusing, again);
  expect(ledger.calls).toEqual([]);
  expect(ledger.outputs.map((o) => o.tier)).toEqual(['cache']);
  expect(await resultOf(reusing, again)).toMatchObject({ tier: 'cache' });
});
