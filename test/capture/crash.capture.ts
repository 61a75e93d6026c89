/**
 * The history of a record whose worker process dies mid-step, twice (as test/crash.test.ts runs
 * it): a crash cannot end the capture's own process, so the worker runs in one of its own under the
 * supervisor `npm start` uses.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { workflowIdFor } from '../../contract';
import { createDb, type Db } from '../../db/client';
import type { Supervised } from '../../dev/processes';
import { startWorkerProcess } from '../support/product-processes';
import { startSimulator, type Simulator } from '../../dev/simulator';
import { createIngest } from '../../ingest';
import { ingestSettings } from '../../ingest/settings';
import { CRASH_TWICE, ledgerOf, uniqueId } from '../support/records';
import { requiredEnv, startTemporal, testConfig, type Stack } from '../support/stack';
import { capture, CAPTURE_VERSION, captureSettings, report } from './capture';

let env: TestWorkflowEnvironment;
let simulator: Simulator;
let db: Db;
let worker: Supervised;

beforeAll(async () => {
  env = await startTemporal();
  simulator = await startSimulator({ port: 0 });
  db = createDb(requiredEnv('DATABASE_URL'));
  worker = startWorkerProcess({ temporalAddress: env.address, simulatorPort: simulator.port, env: captureSettings(simulator.port) });
});
afterAll(async () => {
  await worker?.stop();
  await env?.teardown();
  await simulator?.close();
  await db?.$disconnect();
  console.log(report());
});

it('crash-charge-after-persist-before', async () => {
  const name = 'crash-charge-after-persist-before';
  const ingest = createIngest(ingestSettings(testConfig(simulator.port, captureSettings(simulator.port)), db, env.client));
  const id = uniqueId(`${CAPTURE_VERSION}-${name}`);
  const restartsBefore = worker.restarts();
  await ingest('api', {
    id,
    ...CRASH_TWICE,
  });
  expect((await env.client.workflow.getHandle(workflowIdFor(id)).result()).status).toBe('completed');
  expect(worker.restarts() - restartsBefore).toBe(2);
  const ledger = await ledgerOf({ db } as Stack, id);
  expect([ledger.charges.length, ledger.outputs.length, ledger.record?.status]).toEqual([1, 1, 'completed']);
  await capture(env.client, name, workflowIdFor(id));
});
