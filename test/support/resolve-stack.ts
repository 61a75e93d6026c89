/**
 * The real API, ingest, PostgreSQL and Temporal server, with the record workflow replaced by the
 * stand-in of resolve-workflow.ts on a task queue of this stack's own: for testing the resolve route
 * (and the CLI's review commands) against a workflow that has the `resolve` Update.
 */
import { Worker } from '@temporalio/worker';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createServer } from 'node:http';
import pino from 'pino';
import { createConfiguredApp } from '../../api/app';
import { workflowIdFor, type InvestigationReason, type Step } from '../../contract';
import { createProviderClients } from '../../providers/registry';
import { payloadDataConverter } from '../../temporal/client';
import { ensureDefaultAccount } from '../../db/accounts';
import { createDb, statementsOf, type Db } from '../../db/client';
import { createIngest } from '../../ingest';
import { ingestSettings } from '../../ingest/settings';
import { parkSignal } from './resolve-workflow';
import { requiredEnv, startTemporal, TEST_API_KEY, TEST_SECRETS, testConfig } from './stack';

export interface ResolveStack {
  env: TestWorkflowEnvironment;
  db: Db;
  baseUrl: string;
  apiKey: string;
  taskQueue: string;
  /** Parks a record as the real workflow would: the workflow waits for an operator, its row says why. */
  park(globalId: string, step: Step, reason: InvestigationReason): Promise<void>;
  stop(): Promise<void>;
}

export async function startResolveStack(settings: Record<string, string> = {}): Promise<ResolveStack> {
  const env = await startTemporal();
  const taskQueue = `resolve-stand-in-${process.pid}`;
  const config = testConfig(0, { DATABASE_URL: requiredEnv('DATABASE_URL'), TEMPORAL_TASK_QUEUE: taskQueue, ...settings });
  const db = createDb(requiredEnv('DATABASE_URL'));
  await ensureDefaultAccount(statementsOf(db), config.billing.currency);
  // Decrypts what the API's client encrypts, as every worker does.
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath: require.resolve('./resolve-workflow'),
    dataConverter: payloadDataConverter(config.temporal.payloadKeys),
  });
  const running = worker.run();
  const ingest = createIngest(ingestSettings(config, db, env.client));
  const server = createServer(createConfiguredApp(config, { db, temporal: env.client, ingest, log: pino({ level: 'silent' }), providers: createProviderClients(config.providers, TEST_SECRETS) }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    env,
    db,
    baseUrl: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    apiKey: TEST_API_KEY,
    taskQueue,
    async park(globalId, step, reason) {
      await db.record.update({ where: { id: globalId }, data: { status: 'needs_investigation', step, reason } });
      await env.client.workflow.getHandle(workflowIdFor(globalId)).signal(parkSignal, { step, reason });
    },
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      worker.shutdown();
      await running;
      await env.teardown();
      await db.$disconnect();
    },
  };
}
