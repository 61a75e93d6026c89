/**
 * The system under test, started the way an operator starts it: the `npm start` supervisor
 * (dev/bin/start.ts) as a child process, on a PostgreSQL and a provider simulator that the harness
 * owns, because a harness that must stop the database and serve provider faults has to hold them.
 * In either topology of dev/topology/layout.ts: `production` puts the real Temporal server on that
 * PostgreSQL and runs two API and two worker processes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdtempSync, rmSync, writeFileSync, type WriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../postgres';
import { startSimulator, type Simulator, type SimulatorLogEvent } from '../simulator';
import { payloadDataConverter } from '../../temporal/client';
import type { PayloadKey } from '../../temporal/codec';
import { workflowBundleOptions } from '../../workers/bundle';
import { killAndAwaitRestart, readPids, type ChildName, type Killed } from './pids';
import { newPayloadKey, payloadKeysSetting } from '../payload-keys';
import { freePort } from '../processes';
import { PROCESSES, type Topology } from '../topology/layout';
import { SHARED_POSTGRES_MAX_CONNECTIONS } from '../topology/temporal-server';
import type { StripeRequestRecord } from '../stripe-proxy';
import { CHAOS_STRIPE_CUSTOMER, startChaosStripe, type ChaosStripe } from './stripe';

const ROOT = path.resolve(__dirname, '..', '..');
const API_KEY = 'chaos-key';
const READY_LINE = '[start] ready:';
const READY_TIMEOUT_MS = 180_000;

/**
 * Fast retries, so a run of hundreds of records with outages takes minutes; and enough attempts
 * (about 15 s of backoff) that a database restart of a few seconds is ridden out by retries alone.
 */
const CHAOS_SETTINGS = {
  stepAttempts: 10,
  providerAttempts: 10,
  providerTimeoutMs: 2_000,
  env: {
    RETRY_INITIAL_INTERVAL_MS: '200',
    RETRY_BACKOFF_COEFFICIENT: '2',
    RETRY_MAXIMUM_INTERVAL_MS: '2000',
    RETRY_MAXIMUM_ATTEMPTS: '10',
    STEP_TIMEOUT_MS: '5000',
    BREAKER_COOLDOWN_MS: '5000',
    RECONCILE_INTERVAL_MS: '5000',
    RECONCILE_QUIET_MS: '15000',
  },
} as const;

export interface ProviderTraffic {
  requests: number;
  faultsServed: number;
}

export interface ChaosStack {
  /** What runs, for the report. */
  topology: string;
  /** One per API process; clients spread their requests over them, as behind a load balancer. */
  apiUrls: string[];
  apiKey: string;
  mllpPort: number;
  databaseUrl: string;
  connectTemporal(): Promise<Client>;
  providers: readonly [string, string];
  stepAttempts: number;
  providerAttempts: number;
  traffic(): ProviderTraffic | undefined;
  /** What reached Stripe; undefined where the stack bills to the ledger alone, or is not the harness's own. */
  stripeRequests(): StripeRequestRecord[] | undefined;
  pidsOf(name: ChildName): Promise<Map<string, number>>;
  /** Of several processes of the kind, each in turn. */
  kill(name: ChildName): Promise<Killed>;
  /** Absent when the harness does not own the database. */
  restartDatabase?: (pauseMs: number) => Promise<void>;
  stop(options: { keepFiles: boolean }): Promise<void>;
}

export interface OwnedStackOptions {
  topology: Topology;
  /** A prebuilt workflow bundle; without one the harness bundles once, so worker restarts stay fast. */
  workflowBundlePath?: string;
  temporalCliPath?: string;
  /** PATH and HOME: the supervisor gets these and its settings, nothing else of the caller's environment. */
  baseEnv: NodeJS.ProcessEnv;
  billing: 'ledger' | 'stripe';
  log: (line: string) => void;
}

async function ensureBundle(dir: string, given: string | undefined, log: (line: string) => void): Promise<string> {
  if (given) return given;
  log('bundling the workflow code once, so that every worker restart skips it');
  const { code } = await bundleWorkflowCode({ ...workflowBundleOptions, logger: new DefaultLogger('WARN') });
  const file = path.join(dir, 'workflow-bundle.js');
  writeFileSync(file, code);
  return file;
}

function providersSetting(simulatorPort: number): string {
  return JSON.stringify(
    ['primary', 'fallback'].map((name) => ({
      name,
      kind: 'openai',
      baseURL: `http://127.0.0.1:${simulatorPort}/v1`,
      model: `sim-${name}-2026-11-01`,
      apiKeyEnv: 'SIMULATOR_API_KEY',
      timeoutMs: CHAOS_SETTINGS.providerTimeoutMs,
      maxAttempts: CHAOS_SETTINGS.providerAttempts,
    })),
  );
}

interface Ports {
  apis: number[];
  temporal: number;
  ui: number;
  simulator: number;
  mllp: number;
  postgres: number;
}

async function freePorts(apis: number): Promise<Ports> {
  const [temporal, ui, simulator, mllp, postgres, ...apiPorts] = await Promise.all(Array.from({ length: 5 + apis }, freePort));
  return { apis: apiPorts, temporal, ui, simulator, mllp, postgres } as Ports;
}

/** The supervisor's arguments: the topology, and the API ports when there are several. */
function supervisorArgs(topology: Topology, ports: Ports): string[] {
  return topology === 'dev' ? [] : ['--topology', topology, '--api-ports', ports.apis.join(',')];
}

const TEMPORAL_OF: Record<Topology, string> = { dev: 'Temporal dev server (SQLite)', production: 'Temporal server on PostgreSQL' };
const summary = (topology: Topology): string =>
  `${topology}: ${TEMPORAL_OF[topology]}, ${PROCESSES[topology].apis} API, ${PROCESSES[topology].workers} worker, 1 MLLP listener processes`;

function supervisorEnv(options: OwnedStackOptions, dataDir: string, ports: Ports, databaseUrl: string, bundle: string, payloadKeys: PayloadKey[], stripe: ChaosStripe | undefined): NodeJS.ProcessEnv {
  return {
    PATH: options.baseEnv.PATH,
    HOME: options.baseEnv.HOME,
    ...(options.temporalCliPath ? { TEMPORAL_CLI_PATH: options.temporalCliPath } : {}),
    NODE_ENV: 'development',
    DATA_DIR: dataDir,
    DATABASE_URL: databaseUrl,
    PORT: String(ports.apis[0]),
    TEMPORAL_DEV_PORT: String(ports.temporal),
    TEMPORAL_UI_PORT: String(ports.ui),
    SIMULATOR_PORT: String(ports.simulator),
    MLLP_PORT: String(ports.mllp),
    WORKER_METRICS_ADDRESS: '',
    API_KEYS: API_KEY,
    // One key sends every request: the run is about faults, not the per-key limit.
    RATE_LIMIT_PER_MINUTE: '0',
    PAYLOAD_KEYS: payloadKeysSetting(payloadKeys),
    FAULT_INJECTION: 'enabled',
    PROVIDERS: providersSetting(ports.simulator),
    SIMULATOR_API_KEY: 'chaos',
    WORKFLOW_BUNDLE_PATH: bundle,
    LOG_LEVEL: 'warn',
    LOG_FORMAT: 'json',
    ...CHAOS_SETTINGS.env,
    ...stripe?.env,
  };
}

/** The account the run's records belong to is the Stripe customer its meter events bill. */
async function billDefaultAccountToStripe(apiUrl: string): Promise<void> {
  const res = await fetch(`${apiUrl}/v1/accounts/default`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ stripeCustomerId: CHAOS_STRIPE_CUSTOMER }),
  });
  if (!res.ok) throw new Error(`setting the default account's Stripe customer: HTTP ${res.status} ${await res.text()}`);
}

function spawnSupervisor(args: string[], env: NodeJS.ProcessEnv, logFile: WriteStream): { child: ChildProcess; ready: Promise<void> } {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'dev', 'bin', 'start.ts'), ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(logFile, { end: false });
  child.stderr?.pipe(logFile, { end: false });
  const ready = new Promise<void>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`the supervisor printed no ready line within ${READY_TIMEOUT_MS} ms (see ${logFile.path.toString()})`)), READY_TIMEOUT_MS);
    child.stdout?.on('data', (chunk: Buffer) => {
      // Only the tail matters: the ready line may straddle two chunks.
      seen = (seen + chunk.toString()).slice(-4096);
      if (seen.includes(READY_LINE)) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`the supervisor exited (${signal ?? code}) before it was ready (see ${logFile.path.toString()})`));
    });
  });
  return { child, ready };
}

async function stopSupervisor(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGINT');
  const forced = setTimeout(() => child.kill('SIGKILL'), 60_000);
  await exited;
  clearTimeout(forced);
}

function countTraffic(traffic: ProviderTraffic) {
  return (event: SimulatorLogEvent) => {
    traffic.requests += 1;
    if (event.fault) traffic.faultsServed += 1;
  };
}

export async function startOwnedStack(options: OwnedStackOptions): Promise<ChaosStack> {
  const dir = mkdtempSync(path.join(tmpdir(), 'durable-inference-chaos-'));
  const dataDir = path.join(dir, 'data');
  const logFile = createWriteStream(path.join(dir, 'supervisor.log'));
  const ports = await freePorts(PROCESSES[options.topology].apis);
  const maxConnections = options.topology === 'production' ? SHARED_POSTGRES_MAX_CONNECTIONS : undefined;
  const pgOptions = { dataDir: path.join(dir, 'postgres'), port: ports.postgres, maxConnections };
  options.log(`stack in ${dir}`);
  let pg: EmbeddedPostgresHandle = await startEmbeddedPostgres(pgOptions);
  const traffic: ProviderTraffic = { requests: 0, faultsServed: 0 };
  const simulator: Simulator = await startSimulator({ port: ports.simulator, log: countTraffic(traffic) });
  const stripe = options.billing === 'stripe' ? await startChaosStripe(options.log) : undefined;
  const bundle = await ensureBundle(dir, options.workflowBundlePath, options.log);
  // The run's own key, so the harness reads what the stack wrote.
  const payloadKeys = [newPayloadKey('chaos')];
  const supervisor = spawnSupervisor(supervisorArgs(options.topology, ports), supervisorEnv(options, dataDir, ports, pg.connectionString, bundle, payloadKeys, stripe), logFile);
  const stop = async (keepFiles: boolean) => {
    await stopSupervisor(supervisor.child);
    await simulator.close();
    await stripe?.stop();
    await pg.stop();
    logFile.end();
    if (keepFiles) options.log(`kept the run's files in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  };
  await supervisor.ready.then(() => stripe && billDefaultAccountToStripe(`http://127.0.0.1:${ports.apis[0]}`)).catch(async (err: unknown) => {
    await stop(true);
    throw err;
  });

  const kills: Record<ChildName, number> = { worker: 0, api: 0, mllp: 0 };
  return {
    topology: summary(options.topology),
    apiUrls: ports.apis.map((port) => `http://127.0.0.1:${port}`),
    apiKey: API_KEY,
    mllpPort: ports.mllp,
    databaseUrl: pg.connectionString,
    connectTemporal: async () =>
      new Client({ connection: await Connection.connect({ address: `127.0.0.1:${ports.temporal}` }), dataConverter: payloadDataConverter(payloadKeys) }),
    providers: ['primary', 'fallback'],
    stepAttempts: CHAOS_SETTINGS.stepAttempts,
    providerAttempts: CHAOS_SETTINGS.providerAttempts,
    traffic: () => ({ ...traffic }),
    stripeRequests: () => stripe?.requests(),
    pidsOf: (name) => readPids(dataDir, name),
    kill: (name) => killAndAwaitRestart(dataDir, name, kills[name]++),
    async restartDatabase(pauseMs) {
      await pg.stop();
      await sleep(pauseMs);
      pg = await startEmbeddedPostgres(pgOptions);
    },
    stop: ({ keepFiles }) => stop(keepFiles),
  };
}
