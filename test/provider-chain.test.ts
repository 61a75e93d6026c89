/**
 * The inference step across the provider chain (DESIGN §4, §8): provider faults served for real by
 * the simulator over HTTP, Temporal as the one retry authority, fallbacks, low confidence.
 */
import { workflowIdFor } from '../contract';
import { get, ledgerOf, post, result, submit, uniqueId, waitForStatus } from './support/records';
import { startStack, type Stack } from './support/stack';

let stack: Stack;
beforeAll(async () => {
  // A high threshold keeps the circuit breaker out of these scenarios; test/breaker.test.ts covers it.
  stack = await startStack({ settings: { BREAKER_FAILURE_THRESHOLD: '1000' } });
});
afterAll(async () => {
  await stack?.stop();
});

const callsOf = async (id: string) =>
  (await ledgerOf(stack, id)).calls.map((c) => ({ provider: c.provider, attempt: c.attempt, outcome: c.outcome, httpStatus: c.httpStatus }));

it('primary 503 ×2: Temporal retries and the record completes on primary at attempt 3', async () => {
  const id = uniqueId('p503');
  await submit(stack, id, 'Troponin below threshold.', { faults: [{ provider: 'primary', status: 503, times: 2 }] });
  expect((await result(stack, id)).status).toBe('completed');
  expect(await callsOf(id)).toEqual([
    { provider: 'primary', attempt: 1, outcome: 'retryable', httpStatus: 503 },
    { provider: 'primary', attempt: 2, outcome: 'retryable', httpStatus: 503 },
    { provider: 'primary', attempt: 3, outcome: 'ok', httpStatus: 200 },
  ]);
  expect((await ledgerOf(stack, id)).charges).toHaveLength(1);
});

it('primary 401: no retry on primary, the result comes from fallback', async () => {
  const id = uniqueId('p401');
  await submit(stack, id, 'Culture negative at 48 hours.', { faults: [{ provider: 'primary', status: 401, times: 1 }] });
  expect((await result(stack, id)).status).toBe('completed');
  expect(await callsOf(id)).toEqual([
    { provider: 'primary', attempt: 1, outcome: 'rejected', httpStatus: 401 },
    { provider: 'fallback', attempt: 1, outcome: 'ok', httpStatus: 200 },
  ]);
  const view = await get(stack, `/v1/records/${id}`);
  expect(view.body.modelOutput).toMatchObject({ provider: 'fallback', model: 'sim-fallback-2026-11-01' });
  expect(view.body.calls.map((c: { provider: string; attempt: number; outcome: string }) => [c.provider, c.attempt, c.outcome])).toEqual([
    ['primary', 1, 'rejected'],
    ['fallback', 1, 'ok'],
  ]);
});

it('429 with Retry-After is honoured as the next retry delay', async () => {
  const id = uniqueId('p429');
  await submit(stack, id, 'Rate limited once.', { faults: [{ provider: 'primary', status: 429, retryAfterSeconds: 2, times: 1 }] });
  expect((await result(stack, id)).status).toBe('completed');
  const calls = (await ledgerOf(stack, id)).calls;
  expect(calls.map((c) => c.outcome)).toEqual(['retryable', 'ok']);
  // The retry policy alone would retry after 20 ms; the provider asked for 2 s.
  expect(calls[1]!.createdAt.getTime() - calls[0]!.createdAt.getTime()).toBeGreaterThanOrEqual(1_900);
});

it('a malformed answer is retried on the same provider a bounded number of times, then the next provider answers', async () => {
  const id = uniqueId('malformed');
  await submit(stack, id, 'Malformed twice.', { faults: [{ provider: 'primary', kind: 'malformed', times: 5 }] });
  expect((await result(stack, id)).status).toBe('completed');
  expect((await callsOf(id)).map((c) => [c.provider, c.attempt, c.outcome])).toEqual([
    ['primary', 1, 'malformed'],
    ['primary', 2, 'malformed'],
    ['fallback', 1, 'ok'],
  ]);
});

it('every provider failing parks the record; after the faults clear an operator retry completes it, charged once', async () => {
  const id = uniqueId('all-down');
  await submit(stack, id, 'Every provider is down.', {
    faults: [
      { provider: 'primary', status: 503, times: 10 },
      { provider: 'fallback', status: 500, times: 10 },
    ],
  });
  const parked = await waitForStatus(stack, id, 'needs_investigation');
  expect(parked.investigation).toMatchObject({ step: 'inference', reason: 'exhausted' });
  expect(parked.lastError).toContain('HTTP 500');
  const calls = await callsOf(id);
  expect(calls.filter((c) => c.provider === 'primary')).toHaveLength(5);
  expect(calls.filter((c) => c.provider === 'fallback')).toHaveLength(5);
  expect((await post(stack, `/v1/records/${id}/resolve`, { action: 'retry' })).status).toBe(200);
  expect((await result(stack, id)).status).toBe('completed');
  const ledger = await ledgerOf(stack, id);
  expect(ledger.charges).toHaveLength(1);
  expect(ledger.okCalls).toHaveLength(1);
});

const rejectedSignals = async (id: string) =>
  (await ledgerOf(stack, id)).events.filter((e) => (e.detail as { rejectedSignal?: string } | null)?.rejectedSignal === 'resolve');

it('low confidence waits for a human: needs_investigation with reason low_confidence, no retry of the model', async () => {
  const id = uniqueId('low');
  await submit(stack, id, 'Ambiguous smear [low-confidence]');
  const parked = await waitForStatus(stack, id, 'needs_investigation');
  expect(parked.investigation).toMatchObject({ step: 'inference', reason: 'low_confidence' });
  expect((await ledgerOf(stack, id)).calls).toHaveLength(1);
  // `retry` would accept an output nobody read: the workflow refuses it and names `approve`.
  await stack.env.client.workflow.getHandle(workflowIdFor(id)).signal('resolve', { action: 'retry' });
  for (let i = 0; i < 100 && !(await rejectedSignals(id)).length; i++) await new Promise((r) => setTimeout(r, 50));
  expect((await rejectedSignals(id)).map((e) => (e.detail as { problem: string }).problem)).toEqual([expect.stringContaining('approve')]);
  expect((await waitForStatus(stack, id, 'needs_investigation')).investigation).toMatchObject({ reason: 'low_confidence' });
  // `approve` is the operator accepting it, through the HTTP route's Update: the stored output is persisted.
  expect((await post(stack, `/v1/records/${id}/resolve`, { action: 'approve' })).status).toBe(200);
  expect((await result(stack, id)).status).toBe('completed');
  const { calls, record } = await ledgerOf(stack, id);
  expect(calls).toHaveLength(1);
  expect(await stack.db.recordResult.findUnique({ where: { recordId: id } })).toMatchObject({ source: 'model', tier: 'model', confidence: 0.1 });
  expect(record?.status).toBe('completed');
});

it('a slow provider call does not hold up other records', async () => {
  const slow = uniqueId('slow');
  await submit(stack, slow, 'Slow answer.', { faults: [{ provider: 'primary', kind: 'slow', delayMs: 8_000, times: 1 }] });
  const quick = Array.from({ length: 5 }, () => uniqueId('quick'));
  const started = Date.now();
  await Promise.all(quick.map((id) => submit(stack, id, `Quick answer ${id}.`)));
  await Promise.all(quick.map((id) => result(stack, id)));
  const quickMs = Date.now() - started;
  expect((await waitForStatus(stack, slow, 'processing', 1_000)).step).toBe('inference');
  // A generous bound: the five finish long before the slow call's 8 s; the benchmark measures it properly.
  expect(quickMs).toBeLessThan(6_000);
  expect((await result(stack, slow)).status).toBe('completed');
});
