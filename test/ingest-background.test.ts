/**
 * The API's ingest answers once the row is stored and starts the workflow behind the answer
 * (ingest/background.ts). A start it cannot make is the reconciler's to make: nothing is lost.
 */
import { Client, Connection, WorkflowNotFoundError, type WorkflowClientInterceptor } from '@temporalio/client';
import pino from 'pino';
import { workflowIdFor } from '../contract';
import { createRecordStarter } from '../ingest';
import { createBackgroundStarts } from '../ingest/background';
import { apiIngest, starterSettings } from '../ingest/settings';
import { payloadDataConverter } from '../temporal/client';
import { migratedDatabase } from './support/database';
import { ledgerOf, reconcileNow, result, uniqueId } from './support/records';
import { startStack, type Stack } from './support/stack';

let stack: Stack;
let drop: () => Promise<void>;
beforeAll(async () => {
  // The reconciler here would otherwise start the rows of test files running beside this one.
  const database = await migratedDatabase(`ingest_background_test_${process.pid}`);
  drop = database.drop;
  stack = await startStack({ databaseUrl: database.url });
});
afterAll(async () => {
  await stack?.stop();
  await drop?.();
});

/** A client of a Temporal that is not there: every start fails once the deadline passes. */
const unreachable = (interceptors: WorkflowClientInterceptor[] = []) =>
  new Client({
    connection: Connection.lazy({ address: '127.0.0.1:1' }),
    namespace: stack.config.temporal.namespace,
    dataConverter: payloadDataConverter(stack.config.temporal.payloadKeys),
    interceptors: { workflow: interceptors },
  });

/** Holds every workflow start until `release`, so that a test decides what is in flight when. */
function heldStarts() {
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  const interceptor: WorkflowClientInterceptor = {
    startWithDetails: async (input, next) => {
      await held;
      return next(input);
    },
  };
  return { interceptor, release };
}

function capturedLog() {
  const lines: Array<Record<string, unknown>> = [];
  const log = pino({ level: 'info' }, { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) });
  return { log, lines, text: () => JSON.stringify(lines) };
}

const exists = (id: string) =>
  stack.env.client.workflow
    .getHandle(workflowIdFor(id))
    .describe()
    .then(
      () => true,
      (err: unknown) => {
        if (err instanceof WorkflowNotFoundError) return false;
        throw err;
      },
    );

it('answers accepted while Temporal is unreachable; the reconciler starts the record and it completes once', async () => {
  const { log, lines, text } = capturedLog();
  const config = { ...stack.config, temporal: { ...stack.config.temporal, startTimeoutMs: 300 }, ingestStarts: { concurrency: 1, backlog: 1 } };
  // Without the hold, a machine slow enough to take the start deadline between the two ingests
  // would find the first start failed and the backlog free again.
  const hold = heldStarts();
  const { ingest, starts } = apiIngest(config, stack.db, unreachable([hold.interceptor]), log);
  const [first, second] = [uniqueId('no-temporal'), uniqueId('no-temporal')];
  const secret = `Potassium 9.9 ${uniqueId('canary')}`;

  expect(await ingest('api', { id: first, input: { text: secret } })).toMatchObject({ outcome: 'accepted', status: 'received', workflowId: workflowIdFor(first) });
  // The backlog of one is taken by the first start, so the second record goes straight to the reconciler.
  expect(await ingest('api', { id: second, input: { text: secret } })).toMatchObject({ outcome: 'accepted', status: 'received' });
  hold.release();
  await starts.idle();

  expect(lines.map((l) => [l.msg, l.recordId])).toEqual([
    ['workflow start backlog full: the reconciler will start this record', second],
    ['workflow start failed: the reconciler will start this record', first],
  ]);
  expect(text()).not.toContain(secret);
  expect(await Promise.all([first, second].map(exists))).toEqual([false, false]);
  expect((await stack.db.record.findMany({ where: { id: { in: [first, second] } }, select: { status: true } })).map((r) => r.status)).toEqual(['received', 'received']);

  const repaired = await reconcileNow(stack);
  expect(repaired.started).toEqual(expect.arrayContaining([first, second]));
  for (const id of [first, second]) {
    expect((await result(stack, id)).status).toBe('completed');
    expect((await ledgerOf(stack, id)).charges).toHaveLength(1);
  }
});

it('on shutdown makes the starts in flight and leaves the waiting ones to the reconciler', async () => {
  const { log, lines } = capturedLog();
  const config = { ...stack.config, temporal: { ...stack.config.temporal, startTimeoutMs: 300 } };
  const starts = createBackgroundStarts(createRecordStarter(starterSettings(config, unreachable())), { concurrency: 1, backlog: 10 }, log);
  for (const id of ['a', 'b', 'c']) starts.enqueue(uniqueId(id), 'default', 'api', undefined);
  expect(starts.pending()).toBe(3);

  await starts.close(0);

  expect(starts.pending()).toBe(0);
  expect(lines.map((l) => l.msg)).toEqual([
    'shutting down with workflow starts not made: the reconciler will start those records',
    'workflow start failed: the reconciler will start this record',
  ]);
  expect(lines[0]).toMatchObject({ left: 2 });
});

it('through the HTTP API: 202 at once, then the workflow runs', async () => {
  const id = uniqueId('behind');
  const answer = await fetch(`${stack.baseUrl}/v1/records`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${stack.apiKey}` },
    body: JSON.stringify({ id, input: { text: 'Sodium 140 mmol/L.' } }),
  });
  expect(answer.status).toBe(202);
  expect(await answer.json()).toMatchObject({ id, status: 'received', duplicate: false });
  expect((await result(stack, id)).status).toBe('completed');
});
