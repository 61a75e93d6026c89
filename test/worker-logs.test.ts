/**
 * What the worker process writes is JSON lines (README, *Logs*), the Temporal SDK's native core
 * included: its warnings arrive through pino as every other line does, not as coloured text on
 * stderr. The core's slow-workflow-task warning, with its threshold at 0 seconds, fires on every
 * workflow task, so a record's run is sure to produce some.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { workflowIdFor, type RecordStatusView } from '../contract';
import { createDb, type Db } from '../db/client';
import { startSimulator, type Simulator } from '../dev/simulator';
import { createIngest } from '../ingest';
import { ingestSettings } from '../ingest/settings';
import { startWorkerProcess } from './support/product-processes';
import { uniqueId } from './support/records';
import { requiredEnv, startTemporal, testConfig } from './support/stack';

let env: TestWorkflowEnvironment;
let simulator: Simulator;
let db: Db;
const chunks: Buffer[] = [];

beforeAll(async () => {
  [env, simulator] = await Promise.all([startTemporal(), startSimulator({ port: 0 })]);
  db = createDb(requiredEnv('DATABASE_URL'));
});
afterAll(async () => {
  await env?.teardown();
  await simulator?.close();
  await db?.$disconnect();
});

it("every line the worker writes is one JSON log record, the SDK core's warnings among them", async () => {
  const settings = { LOG_LEVEL: 'warn', TEMPORAL_WORKFLOW_TASK_DURATION_WARN_SECONDS: '0' };
  const worker = startWorkerProcess({ temporalAddress: env.address, simulatorPort: simulator.port, env: settings, output: (chunk) => chunks.push(chunk) });
  try {
    const id = uniqueId('logs');
    await createIngest(ingestSettings(testConfig(simulator.port, settings), db, env.client))('api', { id, input: { text: 'Glucose 5.4 mmol/L' } });
    const view = (await env.client.workflow.getHandle(workflowIdFor(id)).result()) as RecordStatusView;
    expect(view.status).toBe('completed');
  } finally {
    await worker.stop();
  }
  const lines = Buffer.concat(chunks).toString().split('\n').filter((line) => line.length > 0);
  const notJson = lines.filter((line) => {
    try {
      return typeof JSON.parse(line) !== 'object';
    } catch {
      return true;
    }
  });
  expect(notJson).toEqual([]);
  const records = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  expect(records.filter((r) => String(r.msg).includes('[TMPRL1104]'))).toContainEqual(
    expect.objectContaining({ level: 40, name: 'worker', sdkComponent: 'core', workflowType: 'processRecord' }),
  );
}, 120_000);
