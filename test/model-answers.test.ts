/**
 * What a model answers, through the real pipeline (DESIGN §8, §13, G8): an answer with a JSON slip
 * is repaired and marked, a low-confidence one parks the record, and no failure that a bad answer
 * or a refused request leaves behind repeats the record's text or the answer.
 */
import { workflowIdFor } from '../contract';
import { ledgerOf, result, submit, uniqueId, waitForStatus } from './support/records';
import { startStack, type Stack } from './support/stack';

let stack: Stack;
beforeAll(async () => {
  // A high threshold keeps the circuit breaker out of these scenarios; test/breaker.test.ts covers it.
  stack = await startStack({ settings: { BREAKER_FAILURE_THRESHOLD: '1000' } });
});
afterAll(async () => {
  await stack?.stop();
});

it('almost_json: the repaired answer completes the record, and its model call is marked repaired', async () => {
  const id = uniqueId('almost');
  await submit(stack, id, 'Mild anaemia, iron studies requested.', { faults: [{ provider: 'primary', kind: 'almost_json', times: 1 }] });
  expect((await result(stack, id)).status).toBe('completed');
  const ledger = await ledgerOf(stack, id);
  expect(ledger.calls.map((c) => [c.provider, c.attempt, c.outcome, c.repaired])).toEqual([['primary', 1, 'ok', true]]);
  expect(ledger.outputs).toHaveLength(1);
});

it('low_confidence: a valid answer with confidence 0.1 parks the record for review', async () => {
  const id = uniqueId('unsure');
  await submit(stack, id, 'Findings equivocal.', { faults: [{ provider: 'primary', kind: 'low_confidence', times: 1 }] });
  const parked = await waitForStatus(stack, id, 'needs_investigation');
  expect(parked.investigation).toMatchObject({ step: 'inference', reason: 'low_confidence' });
  const ledger = await ledgerOf(stack, id);
  expect(ledger.record).toMatchObject({ status: 'needs_investigation', reason: 'low_confidence' });
  expect(ledger.outputs.map((o) => o.confidence)).toEqual([0.1]);
  expect(ledger.calls.map((c) => [c.provider, c.outcome, c.repaired])).toEqual([['primary', 'ok', false]]);
});

it('no failure message, call error, last_error or Temporal history repeats the record text or the answer (G8)', async () => {
  const canary = 'zebracanary';
  const id = uniqueId('canary');
  // The simulator's 400 quotes the input, as real providers do, and its malformed answers derive from the text.
  const text = `${canary} ${canary} ${canary}: ${canary} seen on the ward`;
  await submit(stack, id, text, {
    faults: [
      { provider: 'primary', status: 400, times: 1 },
      { provider: 'fallback', kind: 'malformed', times: 10 },
    ],
  });
  const parked = await waitForStatus(stack, id, 'needs_investigation');
  expect(parked.investigation).toMatchObject({ step: 'inference', reason: 'non_retryable', failureType: 'ProviderMalformed' });
  const ledger = await ledgerOf(stack, id);
  expect(ledger.calls.map((c) => [c.provider, c.outcome])).toEqual([
    ['primary', 'rejected'],
    ['fallback', 'malformed'],
    ['fallback', 'malformed'],
  ]);
  const errors = [parked.lastError, ledger.record?.lastError, ...ledger.calls.map((c) => c.error), ...ledger.events.map((e) => JSON.stringify(e.detail))];
  expect(errors.filter((e) => e?.includes(canary))).toEqual([]);
  // Each message still says what was wrong.
  expect(ledger.calls.map((c) => c.error)).toEqual([
    'provider primary: HTTP 400 (invalid_request_error)',
    expect.stringMatching(/^answer (is not valid JSON at position \d+|violates the output schema)/),
    expect.stringMatching(/^answer (is not valid JSON at position \d+|violates the output schema).*\(gave up after 2 attempts on fallback\)$/),
  ]);
  // Failure messages are plaintext in the history; payloads are not what this looks at (they carry no text here).
  const history = await stack.env.client.workflow.getHandle(workflowIdFor(id)).fetchHistory();
  expect(JSON.stringify(history)).not.toContain(canary);
});
