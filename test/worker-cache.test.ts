/**
 * A worker with a small workflow cache (WORKER_MAX_CACHED_WORKFLOWS): it holds no more open
 * workflows than that, and the evicted ones resume from their histories without a second charge,
 * output or model call.
 */
import { invariantViolations, ledgerOf, post, result, submit, uniqueId, waitForStatus } from './support/records';
import { startStack, type Stack } from './support/stack';

const CACHE = 2;
const PARKED = 6;

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ settings: { WORKER_MAX_CACHED_WORKFLOWS: String(CACHE) } });
});
afterAll(async () => {
  await stack?.stop();
});

it('keeps at most the configured workflows in memory, and evicted ones complete with one charge and one model call each', async () => {
  const ids = Array.from({ length: PARKED }, () => uniqueId('cache'));
  for (const id of ids) expect((await submit(stack, id, 'Blurred smear [low-confidence]')).status).toBe(202);
  for (const id of ids) await waitForStatus(stack, id, 'needs_investigation');
  const records = stack.workers[0]!;
  expect(records.options.taskQueue).toBe(stack.config.temporal.taskQueue);
  expect(records.getStatus().numCachedWorkflows).toBeLessThanOrEqual(CACHE);

  for (const id of ids) expect((await post(stack, `/v1/records/${id}/resolve`, { action: 'approve' })).status).toBe(200);
  for (const id of ids) expect(await result(stack, id)).toMatchObject({ status: 'completed' });
  const ledgers = await Promise.all(ids.map((id) => ledgerOf(stack, id)));
  expect(ledgers.map((l) => [l.charges.length, l.outputs.length, l.calls.length])).toEqual(ids.map(() => [1, 1, 1]));
  expect(await invariantViolations(stack)).toEqual([]);
});
