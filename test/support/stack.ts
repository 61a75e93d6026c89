/**
 * The real pipeline in one test process: a Temporal dev server started from the provisioned CLI,
 * the shared PostgreSQL, the provider simulator over real HTTP, the real activities and workers,
 * and the real HTTP API on an ephemeral port.
 */
import { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker, WorkflowBundleOption } from '@temporalio/worker';
import type { Server } from 'node:http';
import pino from 'pino';
import { createActivities, type ActivityDeps } from '../../activities';
import { createConfiguredApp } from '../../api/app';
import { createHttpServer } from '../../api/server';
import type { BillingProvider } from '../../billing';
import { loadConfig, type AppConfig } from '../../config';
import { RECORD_SEARCH_ATTRIBUTES } from '../../contract';
import { ensureDefaultAccount } from '../../db/accounts';
import { createDb, type Db } from '../../db/client';
import { createSqlClient, type SqlClient } from '../../db/sql';
import { processFaultHooks, workerFaultLayer } from '../../faults';
import { createIngest, createRecordStarter, type Ingest } from '../../ingest';
import { apiIngest, ingestSettings, starterSettings } from '../../ingest/settings';
import type { CircuitBreakers } from '../../providers/breaker';
import { createProviderClients } from '../../providers/registry';
import { createReconcileActivities } from '../../reconcile/activities';
import { SEARCH_ATTRIBUTE_CACHE_ON } from '../../dev/dev-server';
import { startSimulator, type Simulator } from '../../dev/simulator';
import type { Tracing } from '../../telemetry/tracing';
import { payloadDataConverter, temporalClient } from '../../temporal/client';
import type { PayloadKey } from '../../temporal/codec';
import { createActivityDeps } from '../../workers/deps';
import { createWorkers } from '../../workers/create';

export interface Stack {
  env: TestWorkflowEnvironment;
  config: AppConfig;
  db: Db;
  ingest: Ingest;
  simulator: Simulator;
  /** The records worker first, then one per provider queue: the set running now. */
  workers: Worker[];
  /** The workers' circuit breakers, to wait for a state rather than sleep. */
  breakers: CircuitBreakers;
  baseUrl: string;
  apiKey: string;
  /**
   * A deployment: every worker shut down, then a new set started on `workflowBundle` (the test
   * bundle by default) with the same activities.
   */
  replaceWorkers(workflowBundle?: WorkflowBundleOption): Promise<void>;
  stop(): Promise<void>;
}

export interface StackOptions {
  /** Traces on: the API's client and the workers get the OpenTelemetry plugin. */
  tracing?: Tracing;
  /** A database of the test's own (test/support/database.ts); the shared one otherwise. */
  databaseUrl?: string;
  /** Environment settings, or a function of the simulator's port for those that name it (PROVIDERS). */
  settings?: Record<string, string> | ((simulatorPort: number) => Record<string, string>);
  billing?: BillingProvider;
  /** The workflow code the first workers run: the test bundle unless a test runs an older version. */
  workflowBundle?: WorkflowBundleOption;
}

export const TEST_API_KEY = 'test-key';
export const TEST_SECRETS = { SIMULATOR_API_KEY: 'test' };
/** PAYLOAD_KEYS of the tests: every client and worker of a test encrypts with it. */
export const TEST_PAYLOAD_KEYS = `test-1:${Buffer.alloc(32, 7).toString('base64')}`;

/** Fast retries so a test of a dozen failures takes seconds; the backoff itself is tested with time skipping. */
const FAST_RETRIES = {
  RETRY_INITIAL_INTERVAL_MS: '20',
  RETRY_MAXIMUM_INTERVAL_MS: '100',
  RETRY_MAXIMUM_ATTEMPTS: '5',
  STEP_TIMEOUT_MS: '3000',
};

/**
 * The fault-injection layer as a worker with FAULT_INJECTION=enabled installs it, but a crash cannot
 * end the test process: crash tests run a worker process of their own (test/crash.test.ts).
 */
export const testFaults = (db: SqlClient) =>
  workerFaultLayer(
    true,
    processFaultHooks(db, () => {
      throw new Error('a crash fault needs a worker in its own process (test/crash.test.ts)');
    }),
  );

export function testActivityDeps(config: AppConfig, db: SqlClient, options: Pick<StackOptions, 'billing'> = {}): ActivityDeps {
  return createActivityDeps(config, db, { secrets: TEST_SECRETS, decorateProvider: testFaults(db).decorateProvider, billing: options.billing });
}

export function testConfig(simulatorPort: number, settings: Record<string, string> = {}): AppConfig {
  return loadConfig({
    NODE_ENV: 'test',
    DATABASE_URL: process.env.DATABASE_URL,
    API_KEYS: TEST_API_KEY,
    PAYLOAD_KEYS: TEST_PAYLOAD_KEYS,
    SIMULATOR_PORT: String(simulatorPort),
    LOG_LEVEL: 'warn',
    ...FAST_RETRIES,
    ...settings,
  });
}

/** The keys of `testConfig()` unless a test gives its own. */
export const testPayloadKeys = (): PayloadKey[] => testConfig(0).temporal.payloadKeys;

/** A dev server whose `env.client` encrypts as the workers do. */
export async function startTemporal(payloadKeys: PayloadKey[] = testPayloadKeys()): Promise<TestWorkflowEnvironment> {
  return TestWorkflowEnvironment.createLocal({
    server: {
      executable: { type: 'existing-path', path: requiredEnv('TEST_TEMPORAL_CLI') },
      searchAttributes: RECORD_SEARCH_ATTRIBUTES,
      extraArgs: SEARCH_ATTRIBUTE_CACHE_ON,
    },
    client: { dataConverter: payloadDataConverter(payloadKeys) },
  });
}

export function requiredEnv(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: run the tests through jest (test/support/global-setup.ts)`);
  return value;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('API did not bind');
  return address.port;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const simulator = await startSimulator({ port: 0 });
  const databaseUrl = options.databaseUrl ?? requiredEnv('DATABASE_URL');
  const settings = typeof options.settings === 'function' ? options.settings(simulator.port) : options.settings;
  const config = testConfig(simulator.port, { DATABASE_URL: databaseUrl, ...settings });
  const env = await startTemporal(config.temporal.payloadKeys);
  const db = createDb(databaseUrl);
  // The worker's side runs its statements on a pool of its own, as bin/worker.ts does.
  const workerDb = createSqlClient(databaseUrl);
  await ensureDefaultAccount(workerDb, config.billing.currency);
  const deps = testActivityDeps(config, workerDb, options);
  const activities = createActivities(deps);
  const plugins = options.tracing ? [options.tracing.plugin] : [];
  const temporal = plugins.length > 0 ? temporalClient(config.temporal, env.connection, plugins) : env.client;
  const reconcile = createReconcileActivities({ db: workerDb, temporal, start: createRecordStarter(starterSettings(config, temporal)) });
  const startWorkers = async (workflowBundle: WorkflowBundleOption = { codePath: requiredEnv('TEST_WORKFLOW_BUNDLE') }) => {
    const workers = await createWorkers({
      config,
      connection: env.nativeConnection,
      activities,
      reconcile,
      workflowBundle,
      plugins,
      activityInterceptors: testFaults(workerDb).activityInterceptors,
    });
    return { workers, running: Promise.all(workers.map((w) => w.run())) };
  };
  let current = await startWorkers(options.workflowBundle);
  const stopWorkers = async () => {
    for (const w of current.workers) w.shutdown();
    await current.running;
  };
  // Direct callers wait for the start, as the MLLP listener does; the API starts behind its answers, as bin/api.ts does.
  const ingest = createIngest(ingestSettings(config, db, temporal));
  const log = pino({ level: 'silent' });
  const api = apiIngest(config, db, temporal, log);
  // The API's own clients, as bin/api.ts makes them: no fault layer (a probe runs outside any activity).
  const providers = createProviderClients(config.providers, TEST_SECRETS);
  const app = createConfiguredApp(config, { db, temporal, ingest: api.ingest, log, tracer: options.tracing?.tracer, providers });
  const server = createHttpServer(app, config.http);
  const port = await listen(server);
  const stack: Stack = {
    env,
    config,
    db,
    ingest,
    simulator,
    workers: current.workers,
    breakers: deps.breakers,
    baseUrl: `http://127.0.0.1:${port}`,
    apiKey: TEST_API_KEY,
    async replaceWorkers(workflowBundle) {
      await stopWorkers();
      current = await startWorkers(workflowBundle);
      stack.workers = current.workers;
    },
    async stop() {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await api.starts.close(config.temporal.startTimeoutMs);
      await stopWorkers();
      await env.teardown();
      await simulator.close();
      await Promise.all([db.$disconnect(), workerDb.end()]);
    },
  };
  return stack;
}
