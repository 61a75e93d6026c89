/**
 * Retry backoff on the time-skipping test server: minutes of configured backoff pass in a moment
 * of wall time, and the attempts are scheduled exactly where the retry policy says.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import { createActivities } from '../activities';
import { temporal } from '@temporalio/proto';
import { RECORD_SEARCH_ATTRIBUTES, workflowIdFor } from '../contract';
import { createDb, type Db } from '../db/client';
import { createSqlClient, type SqlClient } from '../db/sql';
import { createIngest } from '../ingest';
import { ingestSettings } from '../ingest/settings';
import { startSimulator, type Simulator } from '../dev/simulator';
import { payloadDataConverter } from '../temporal/client';
import { createWorkers } from '../workers/create';
import { uniqueId } from './support/records';
import { requiredEnv, testActivityDeps, testConfig, testFaults, testPayloadKeys } from './support/stack';

const MINUTE = 60_000;
let env: TestWorkflowEnvironment;
let simulator: Simulator;
let db: Db;
/** The worker's side: its steps run on a pool of their own, as in bin/worker.ts. */
let workerDb: SqlClient;

beforeAll(async () => {
  env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: requiredEnv('TEST_TEMPORAL_TEST_SERVER') } },
    client: { dataConverter: payloadDataConverter(testPayloadKeys()) },
  });
  // The Java test server knows no custom search attributes until they are registered.
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(RECORD_SEARCH_ATTRIBUTES.map((k) => [k.name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD])),
  });
  simulator = await startSimulator({ port: 0 });
  db = createDb(requiredEnv('DATABASE_URL'));
  workerDb = createSqlClient(requiredEnv('DATABASE_URL'));
});
afterAll(async () => {
  await env?.teardown();
  await simulator?.close();
  await db?.$disconnect();
  await workerDb?.end();
});

it('a charge failing 4 times with 1 min initial backoff completes, attempts scheduled at +1, +2, +4, +8 min', async () => {
  const config = testConfig(simulator.port, {
    RETRY_INITIAL_INTERVAL_MS: String(MINUTE),
    RETRY_MAXIMUM_INTERVAL_MS: String(30 * MINUTE),
    RETRY_BACKOFF_COEFFICIENT: '2',
    RETRY_MAXIMUM_ATTEMPTS: '6',
  });
  const activities = createActivities(testActivityDeps(config, workerDb));
  const startedAt: number[] = [];
  // Outside the fault-injection layer, so every attempt is seen, those it fails included.
  const observeCharges: ActivityInterceptorsFactory = (ctx) => ({
    inbound: {
      async execute(input, next) {
        if (ctx.info.activityType === 'charge') {
          // The test server's clock, not the worker's: under time skipping only the former jumps.
          const { time } = await env.connection.testService!.getCurrentTime({});
          startedAt.push(Number(time?.seconds ?? 0) * 1000 + Math.floor((time?.nanos ?? 0) / 1e6));
        }
        return next(input);
      },
    },
  });
  const workers = await createWorkers({
    config,
    connection: env.nativeConnection,
    activities,
    workflowBundle: { codePath: requiredEnv('TEST_WORKFLOW_BUNDLE') },
    activityInterceptors: [observeCharges, ...testFaults(workerDb).activityInterceptors],
  });
  const ingest = createIngest(ingestSettings(config, db, env.client));
  const id = uniqueId('backoff');

  const running = workers.map((w) => w.run());
  const wallStart = Date.now();
  let view: unknown;
  try {
    await ingest('api', { id, input: { text: 'Backoff under time skipping.' }, simulate: { faults: [{ step: 'charge', when: 'before', times: 4 }] } });
    view = await env.client.workflow.getHandle(workflowIdFor(id)).result();
  } finally {
    for (const w of workers) w.shutdown();
    await Promise.all(running);
  }
  const wallMs = Date.now() - wallStart;

  expect(view).toMatchObject({ status: 'completed' });
  expect(startedAt).toHaveLength(5);
  const gaps = startedAt.slice(1).map((t, i) => t - startedAt[i]!);
  expect(gaps.map((g) => Math.round(g / MINUTE))).toEqual([1, 2, 4, 8]);
  // 15 minutes of backoff in server time took a small fraction of it on the wall clock.
  expect(wallMs).toBeLessThan(gaps.reduce((a, b) => a + b, 0) / 10);
  expect(await db.charge.count({ where: { recordId: id } })).toBe(1);
});
