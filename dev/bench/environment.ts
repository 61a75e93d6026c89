/**
 * What every scenario shares, started like `npm start` starts it but on free ports and in a
 * temporary folder: embedded PostgreSQL with the migrations, a Temporal server (the dev server,
 * fresh for every run, or with `--topology production` the production topology's real server on
 * that same PostgreSQL, dev/topology/temporal-server.ts), and the three workflow bundles (the
 * pipeline's with the options every other build uses, and each baseline's), built once so a worker
 * starts in about a second instead of running webpack every time.
 */
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, type BundleOptions } from '@temporalio/worker';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createDb, type Db } from '../../db/client';
import { payloadDataConverter } from '../../temporal/client';
import type { PayloadKey } from '../../temporal/codec';
import { searchAttributeArgs } from '../dev-server';
import { newPayloadKey } from '../payload-keys';
import { startEmbeddedPostgres, type EmbeddedPostgresHandle } from '../postgres';
import { applyMigrations } from '../migrations';
import { freePort, waitForPort } from '../processes';
import { ensureTemporalCli, type ProvisionOptions } from '../provision';
import type { Topology } from '../topology/layout';
import { SHARED_POSTGRES_MAX_CONNECTIONS, startTemporalServer, TEMPORAL_ROLE } from '../topology/temporal-server';
import { cpuSeconds, isBackendOf, treeCpuSeconds, type CpuByComponent } from './cpu';
import { workflowBundleOptions } from '../../workers/bundle';
import { spawnChild, type WorkerKind } from './children';
import { metricsUrl } from './requests';

export type Log = (line: string) => void;
/**
 * `memory` by default: the dev server's SQLite file serialises writers and spends its time in lock
 * waits (a no-op workflow runs several times slower on it), which would make Temporal's local
 * storage, not this code, the limit of both the pipeline and the baseline.
 */
export type TemporalStore = 'memory' | 'file';

export interface BenchEnvironment {
  dir: string;
  logDir: string;
  databaseUrl: string;
  /** The current Temporal server's: read after freshTemporal, never kept across it. */
  readonly temporalAddress: string;
  /** The Temporal server's Prometheus metrics. */
  readonly temporalMetricsUrl: string;
  readonly client: Client;
  /** Every process of the run encrypts with these, the bench's client too. */
  payloadKeys: PayloadKey[];
  db: Db;
  bundles: Record<WorkerKind, string>;
  /** CPU seconds so far of the Temporal server and PostgreSQL (Temporal's own connections apart, where it stores there). */
  cpu(): CpuByComponent;
  /**
   * Replaces the dev server with one whose store is empty, so that each run is measured on the same
   * store. The dev server's in-memory SQLite costs more per commit the more it holds: over one full
   * run on one server, the 3-regular baseline's Temporal CPU per record went from 40 to 64 ms. The
   * production topology keeps its one server, whose store is the run's PostgreSQL.
   */
  freshTemporal(): Promise<void>;
  /** Removes the temporary folder unless told to keep it (a failed run keeps its logs). */
  stop(keepFiles: boolean): Promise<void>;
}

interface TemporalServer {
  address: string;
  metricsUrl: string;
  pid: number;
  stop: () => Promise<unknown>;
}

async function startDevServer(cli: string, store: TemporalStore, dir: string, logDir: string, env: NodeJS.ProcessEnv, generation: number): Promise<TemporalServer> {
  const [port, metricsPort] = [await freePort(), await freePort()];
  const server = spawnChild({
    name: 'temporal',
    command: cli,
    args: [
      'server', 'start-dev',
      '--ip', '127.0.0.1',
      '--port', String(port),
      '--headless',
      ...(store === 'file' ? ['--db-filename', path.join(dir, `temporal-${generation}.sqlite`)] : []),
      ...searchAttributeArgs(),
      '--log-level', 'warn',
      '--metrics-port', String(metricsPort),
    ],
    env,
    logFile: path.join(logDir, 'temporal.log'),
  });
  await waitForPort(port, '127.0.0.1', 60_000);
  return { address: `127.0.0.1:${port}`, metricsUrl: metricsUrl(metricsPort), pid: server.pid, stop: () => server.stop() };
}

interface Started {
  pg: EmbeddedPostgresHandle;
  temporal: TemporalServer;
  /** Starts another dev server with an empty store; none for the production topology. */
  startFresh?: () => Promise<TemporalServer>;
}

async function startServers({ provision, topology, temporalStore, baseEnv, log }: EnvironmentOptions, dir: string, logDir: string): Promise<Started> {
  const dataDir = path.join(dir, 'postgres');
  if (topology === 'dev') {
    const cli = await ensureTemporalCli(log, provision);
    let generation = 0;
    const startFresh = () => startDevServer(cli, temporalStore, dir, logDir, baseEnv, ++generation);
    const [pg, temporal] = await Promise.all([freePort().then((port) => startEmbeddedPostgres({ dataDir, port })), startFresh()]);
    return { pg, temporal, startFresh };
  }
  // The production topology: Temporal's store is the app's PostgreSQL, so it comes first.
  const pg = await startEmbeddedPostgres({ dataDir, port: await freePort(), maxConnections: SHARED_POSTGRES_MAX_CONNECTIONS });
  const metricsPort = await freePort();
  const server = await startTemporalServer({
    adminDatabaseUrl: pg.connectionString,
    frontendPort: await freePort(),
    namespace: 'default',
    logFile: path.join(logDir, 'temporal.log'),
    metricsPort,
    provision,
    log,
  });
  return { pg, temporal: { address: server.address, metricsUrl: metricsUrl(metricsPort), pid: server.pid() ?? 0, stop: () => server.stop() } };
}

async function bundle(options: BundleOptions, out: string): Promise<string> {
  const { code } = await bundleWorkflowCode({ ...options, logger: new DefaultLogger('WARN') });
  writeFileSync(out, code);
  return out;
}

export interface EnvironmentOptions {
  provision: ProvisionOptions;
  topology: Topology;
  /** The dev server's store; the production topology's server stores in PostgreSQL. */
  temporalStore: TemporalStore;
  baseEnv: NodeJS.ProcessEnv;
  log: Log;
}

const postmasterPid = (dataDir: string): number => Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
function serversCpu(topology: Topology, temporalPid: () => number, postmaster: number): () => CpuByComponent {
  if (topology === 'dev') return () => ({ temporal: cpuSeconds(temporalPid()), postgres: treeCpuSeconds(postmaster) });
  const temporalsBackend = isBackendOf(TEMPORAL_ROLE);
  return () => {
    const ofTemporal = treeCpuSeconds(postmaster, temporalsBackend);
    return { temporal: cpuSeconds(temporalPid()), postgres: treeCpuSeconds(postmaster) - ofTemporal, 'postgres-temporal': ofTemporal };
  };
}


export async function startEnvironment(options: EnvironmentOptions): Promise<BenchEnvironment> {
  const { log } = options;
  const dir = mkdtempSync(path.join(tmpdir(), 'durable-inference-bench-'));
  const logDir = path.join(dir, 'logs');
  mkdirSync(logDir);
  log(`scratch folder ${dir}`);
  const [{ pg, temporal, startFresh }, pipeline, baseline, mixed] = await Promise.all([
    startServers(options, dir, logDir),
    bundle(workflowBundleOptions, path.join(dir, 'pipeline-bundle.js')),
    bundle({ workflowsPath: require.resolve('./baseline-workflow') }, path.join(dir, 'baseline-bundle.js')),
    bundle({ workflowsPath: require.resolve('./mixed-baseline-workflow') }, path.join(dir, 'mixed-baseline-bundle.js')),
  ]);
  await applyMigrations(pg.connectionString);
  const payloadKeys = [newPayloadKey('bench')];
  const connect = async (server: TemporalServer) => new Client({ connection: await Connection.connect({ address: server.address }), dataConverter: payloadDataConverter(payloadKeys) });
  let server = temporal;
  let client = await connect(server);
  const db = createDb(pg.connectionString);
  log(`PostgreSQL ${pg.connectionString.replace(/:[^:@/]+@/, ':***@')}, Temporal ${temporal.address}`);
  return {
    dir,
    logDir,
    databaseUrl: pg.connectionString,
    get temporalAddress() {
      return server.address;
    },
    get temporalMetricsUrl() {
      return server.metricsUrl;
    },
    get client() {
      return client;
    },
    payloadKeys,
    db,
    bundles: { pipeline, baseline, mixed },
    cpu: serversCpu(options.topology, () => server.pid, postmasterPid(path.join(dir, 'postgres'))),
    async freshTemporal() {
      if (!startFresh) return;
      await client.connection.close();
      await server.stop();
      server = await startFresh();
      client = await connect(server);
    },
    async stop(keepFiles) {
      await client.connection.close();
      await db.$disconnect();
      await server.stop();
      await pg.stop();
      if (!keepFiles) rmSync(dir, { recursive: true, force: true });
    },
  };
}
