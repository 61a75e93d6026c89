/**
 * `crash` faults (DESIGN §8) end the worker process for real, mid-step, and its supervisor —
 * the same code that `npm start` uses — restarts it. The lost attempt times out, the retry finds
 * the committed side effect, and nothing is done twice (G7). A worker it starts, first or after a
 * crash, yields the CPU to the ingest processes.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createDb, type Db } from '../db/client';
import { createIngest } from '../ingest';
import { ingestSettings } from '../ingest/settings';
import { startSimulator, type Simulator } from '../dev/simulator';
import type { Supervised } from '../dev/processes';
import { readFileSync } from 'node:fs';
import { startWorkerProcess } from './support/product-processes';
import { until } from './support/until';
import { CRASH_TWICE, ledgerOf, uniqueId } from './support/records';
import { requiredEnv, startTemporal, testConfig, type Stack } from './support/stack';
import { workflowIdFor, type RecordStatusView } from '../contract';

let env: TestWorkflowEnvironment;
let simulator: Simulator;
let db: Db;
let worker: Supervised;

const settings = { STEP_TIMEOUT_MS: '2000', RETRY_INITIAL_INTERVAL_MS: '20', RETRY_MAXIMUM_INTERVAL_MS: '100', LOG_LEVEL: 'warn' };

beforeAll(async () => {
  env = await startTemporal();
  simulator = await startSimulator({ port: 0 });
  db = createDb(requiredEnv('DATABASE_URL'));
  worker = startWorkerProcess({ temporalAddress: env.address, simulatorPort: simulator.port, env: settings });
});
afterAll(async () => {
  await worker?.stop();
  await env?.teardown();
  await simulator?.close();
  await db?.$disconnect();
});

it('a worker killed right after committing the charge, and again before persist, still gives one charge and one result', async () => {
  const config = testConfig(simulator.port, settings);
  const ingest = createIngest(ingestSettings(config, db, env.client));
  const id = uniqueId('crash');
  const restartsBefore = worker.restarts();
  await ingest('api', {
    id,
    ...CRASH_TWICE,
  });
  const view = await env.client.workflow.getHandle(workflowIdFor(id)).result() as RecordStatusView;
  expect(view.status).toBe('completed');
  expect(worker.restarts() - restartsBefore).toBe(2);
  const ledger = await ledgerOf({ db } as Stack, id);
  expect(ledger.charges).toHaveLength(1);
  expect(ledger.outputs).toHaveLength(1);
  expect(ledger.okCalls).toHaveLength(1);
  expect(ledger.record?.status).toBe('completed');
}, 120_000);

/** /proc/<pid>/stat: the fields after the command's closing parenthesis start at the third; nice is the nineteenth. */
const niceOf = (pid: number): number => Number(readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ')[19 - 3]);

it('the worker process, restarted or not, runs at WORKER_NICE (its default, 10) under the ingest processes', async () => {
  // It lowers its priority once it has loaded its code, a moment after its pid exists.
  const nice = await until('the worker to lower its CPU priority', async () => {
    const pid = worker.pid();
    return pid !== undefined && niceOf(pid) !== 0 ? niceOf(pid) : undefined;
  });
  expect(nice).toBe(10);
});
