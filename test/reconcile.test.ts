/** The reconciler (DESIGN G4): rows and workflows that disagree are repaired or parked, never left. */
import { workflowIdFor, type RecordStatusView } from '../contract';
import { inputHashOf } from '../ingest';
import { ensureReconcileSchedule, RECONCILE_SCHEDULE_ID } from '../reconcile/schedule';
import { migratedDatabase } from './support/database';
import { ledgerOf, post, reconcileNow, result, submit, uniqueId, waitForStatus } from './support/records';
import { startStack, type Stack } from './support/stack';

let stack: Stack;
let drop: () => Promise<void>;
beforeAll(async () => {
  // The reconciler checks every row against its own Temporal: on the shared database it would start
  // or park the records of test files running beside this one, which that Temporal has never seen.
  const database = await migratedDatabase(`reconcile_test_${process.pid}`);
  drop = database.drop;
  stack = await startStack({ databaseUrl: database.url });
});
afterAll(async () => {
  await stack?.stop();
  await drop?.();
});

it('starts the workflow of a record whose ingest died between the row and the start', async () => {
  const id = uniqueId('orphan-row');
  const input = { text: 'Row written, start lost.' };
  await stack.db.record.create({ data: { id, source: 'api', input, inputHash: inputHashOf(input), status: 'received' } });
  const repaired = await reconcileNow(stack);
  expect(repaired.started).toContain(id);
  expect((await result(stack, id)).status).toBe('completed');
  expect((await ledgerOf(stack, id)).charges).toHaveLength(1);
});

it('parks a processing record whose workflow was terminated, with the reason, instead of starting a second run', async () => {
  const id = uniqueId('terminated');
  await submit(stack, id, 'Slow enough to be caught mid-step.', { faults: [{ provider: 'primary', kind: 'slow', delayMs: 20_000, times: 1 }] });
  await waitForStatus(stack, id, 'processing');
  const handle = stack.env.client.workflow.getHandle(workflowIdFor(id));
  await handle.terminate('operator error');
  const repaired = await reconcileNow(stack);
  expect(repaired.parked).toContain(id);
  const { record, events } = await ledgerOf(stack, id);
  expect(record).toMatchObject({ status: 'needs_investigation', lastError: expect.stringContaining('TERMINATED') });
  expect(events.at(-1)?.detail).toMatchObject({ reason: 'workflow_closed', by: 'reconciler' });
  let runs = 0;
  for await (const _ of stack.env.client.workflow.list({ query: `WorkflowId="${workflowIdFor(id)}"` })) runs += 1;
  expect(runs).toBe(1);
  // No workflow waits for a signal: the API says so instead of failing.
  const resolve = await post(stack, `/v1/records/${id}/resolve`, { action: 'retry' });
  expect(resolve).toMatchObject({ status: 409, body: { detail: expect.stringContaining('no running workflow') } });
  expect((await reconcileNow(stack)).parked).not.toContain(id);
});

it('leaves healthy records alone', async () => {
  const id = uniqueId('healthy');
  await submit(stack, id, 'Healthy.');
  const view: RecordStatusView = await result(stack, id);
  expect(view.status).toBe('completed');
  const repaired = await reconcileNow(stack);
  expect([...repaired.started, ...repaired.parked]).not.toContain(id);
});

it('creates its Schedule once, however many workers start', async () => {
  const options = { taskQueue: stack.config.temporal.taskQueue, everyMs: 60_000, input: { quietForMs: 60_000, limit: 1_000 } };
  expect(await ensureReconcileSchedule(stack.env.client, options)).toBe('created');
  expect(await ensureReconcileSchedule(stack.env.client, options)).toBe('exists');
  const described = await stack.env.client.schedule.getHandle(RECONCILE_SCHEDULE_ID).describe();
  expect(described.action).toMatchObject({ type: 'startWorkflow', workflowType: 'reconcileRecords' });
});
