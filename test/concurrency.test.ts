/**
 * Two attempts of one step at once — a timed-out attempt still running while its retry starts —
 * must not race into two rows (DESIGN G2, G3). The activities run for real against PostgreSQL and
 * the simulator; only the activity context is the SDK's test environment.
 */
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities } from '../activities';
import { createLedgerBilling, type ChargeRequest } from '../billing';
import { createDb, type Db } from '../db/client';
import { createSqlClient, type SqlClient } from '../db/sql';
import { inputHashOf } from '../ingest';
import { startSimulator, type Simulator } from '../dev/simulator';
import { uniqueId } from './support/records';
import { requiredEnv, testActivityDeps, testConfig } from './support/stack';

let db: Db;
/** The worker's side: its steps run on a pool of their own, as in bin/worker.ts. */
let workerDb: SqlClient;
let simulator: Simulator;
beforeAll(async () => {
  db = createDb(requiredEnv('DATABASE_URL'));
  workerDb = createSqlClient(requiredEnv('DATABASE_URL'));
  // Slow answers and a slow billing call hold each step's window open, so the two attempts really overlap.
  simulator = await startSimulator({ port: 0, baseDelayMs: 300 });
});
afterAll(async () => {
  await db?.$disconnect();
  await workerDb?.end();
  await simulator?.close();
});

function setup() {
  const config = testConfig(simulator.port);
  const ledger = createLedgerBilling();
  const billed: ChargeRequest[] = [];
  const activities = createActivities(testActivityDeps(config, workerDb, {
    billing: {
      ...ledger,
      // A provider the charge is reported to, so the test sees what reached it.
      reportsCharges: true,
      charge: async (request) => {
        billed.push(request);
        await new Promise((r) => setTimeout(r, 300));
        return ledger.charge(request);
      },
    },
  }));
  return { activities, billed };
}

async function newRecord(label: string): Promise<string> {
  const id = uniqueId(label);
  const input = { text: `Concurrent attempts for ${id}.` };
  await db.record.create({ data: { id, source: 'api', input, inputHash: inputHashOf(input), status: 'received' } });
  return id;
}

/** Runs one attempt (Temporal's attempt number `n`) of an activity in the SDK's activity context. */
const runAttempt = <I, O>(n: number, activity: (input: I) => Promise<O>, input: I): Promise<O> =>
  new MockActivityEnvironment({ attempt: n }).run(activity, input);

it('two charge attempts at once write one charge, and whatever reaches the billing provider carries its one key', async () => {
  const { activities, billed } = setup();
  const id = await newRecord('race-charge');
  const [a, b] = await Promise.all([1, 2].map((n) => runAttempt(n, activities.charge, { id })));
  expect(await db.charge.count({ where: { recordId: id } })).toBe(1);
  // The outbox (DESIGN §4): an attempt that finds the charge pending reports it again with the same key, which the provider deduplicates.
  expect([...new Set(billed.map((r) => r.key))]).toEqual([`charge-${id}`]);
  expect((await db.charge.findUniqueOrThrow({ where: { recordId: id } })).status).toBe('charged');
  expect([a?.created, b?.created].sort()).toEqual([false, true]);
  expect(a?.idempotencyKey).toBe(b?.idempotencyKey);
});

it('two inference attempts at once store one output; the loser returns the winner’s and its call is marked superseded', async () => {
  const { activities } = setup();
  const id = await newRecord('race-infer');
  const input = { id, provider: 'primary', canSkip: false };
  const [a, b] = await Promise.all([1, 2].map((n) => runAttempt(n, activities.infer, input)));
  expect(a?.output).toEqual(b?.output);
  expect(await db.inferenceOutput.count({ where: { recordId: id } })).toBe(1);
  const outcomes = (await db.modelCall.findMany({ where: { recordId: id } })).map((c) => c.outcome);
  expect(outcomes.sort()).toEqual(['ok', 'superseded']);
  const third = await runAttempt(3, activities.infer, input);
  expect(third).toMatchObject({ created: false, output: a?.output });
  expect(await db.modelCall.count({ where: { recordId: id } })).toBe(outcomes.length);
});

it('two persist attempts at once complete the record once, with one completion event', async () => {
  const { activities } = setup();
  const id = await newRecord('race-persist');
  await runAttempt(1, activities.charge, { id });
  await runAttempt(1, activities.infer, { id, provider: 'primary', canSkip: false });
  const results = await Promise.all([1, 2].map((n) => runAttempt(n, activities.persist, { id })));
  expect(results.map((r) => r.completed).sort()).toEqual([false, true]);
  expect(await db.recordEvent.count({ where: { recordId: id, toStatus: 'completed' } })).toBe(1);
});
