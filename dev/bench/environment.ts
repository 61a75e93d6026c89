/**
 * What every scenario shares, started like `npm start` starts it but on free ports and in a
 * temporary folder: embedded PostgreSQL with the migrations, one Temporal server (the dev server,
 * or with `--topology production` the production topology's real server on that same PostgreSQL,
 * dev/topology/temporal-server.ts), and the three workflow bundles (the pipeline's with the options
 * every other build uses, and each baseline's), built once so a worker starts in about a second
 * instead of running webpack every time.
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
  temporalAddress: string;
  /** The Temporal server's Prometheus metrics. */
  temporalMetricsUrl: string;
  /** Every process of the run encrypts with these, the bench's client too. */
  payloadKeys: PayloadKey[];
  client: Client;
  db: Db;
  bundles: Record<WorkerKind, string>;
  /** CPU seconds so far of the Temporal server and PostgreSQL (Temporal's own connections apart, where it stores there). */
  cpu(): CpuByComponent;
  /** Removes the temporary folder unless told to keep it (a failed run keeps its logs). */
  stop(keepFiles: boolean): Promise<void>;
}

async function startDevServer(cli: string, store: TemporalStore, dir: string, logDir: string, env: NodeJS.ProcessEnv) {
  const [port, metricsPort] = [await freePort(), await freePort()];
  const server = spawnChild({
    name: 'temporal',
    command: cli,
    args: [
      'server', 'start-dev',
      '--ip', '127.0.0.1',
      '--port', String(port),
      '--headless',
      ...(store === 'file' ? ['--db-filename', path.join(dir, 'temporal.sqlite')] : []),
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
  temporal: { address: string; metricsUrl: string; pid: number; stop: () => Promise<unknown> };
}

async function startServers({ provision, topology, temporalStore, baseEnv, log }: EnvironmentOptions, dir: string, logDir: string): Promise<Started> {
  const dataDir = path.join(dir, 'postgres');
  if (topology === 'dev') {
    const cli = await ensureTemporalCli(log, provision);
    const [pg, temporal] = await Promise.all([
      freePort().then((port) => startEmbeddedPostgres({ dataDir, port })),
      startDevServer(cli, temporalStore, dir, logDir, baseEnv),
    ]);
    return { pg, temporal };
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
function serversCpu(topology: Topology, temporalPid: number, postmaster: number): () => CpuByComponent {
  if (topology === 'dev') return () => ({ temporal: cpuSeconds(temporalPid), postgres: treeCpuSeconds(postmaster) });
  const temporalsBackend = isBackendOf(TEMPORAL_ROLE);
  return () => {
    const ofTemporal = treeCpuSeconds(postmaster, temporalsBackend);
    return { temporal: cpuSeconds(temporalPid), postgres: treeCpuSeconds(postmaster) - ofTemporal, 'postgres-temporal': ofTemporal };
  };
}


export async function startEnvironment(options: EnvironmentOptions): Promise<BenchEnvironment> {
  const { log } = options;
  const dir = mkdtempSync(path.join(tmpdir(), 'durable-inference-bench-'));
  const logDir = path.join(dir, 'logs');
  mkdirSync(logDir);
  log(`scratch folder ${dir}`);
  const [{ pg, temporal }, pipeline, baseline, mixed] = await Promise.all([
    startServers(options, dir, logDir),
    bundle(workflowBundleOptions, path.join(dir, 'pipeline-bundle.js')),
    bundle({ workflowsPath: require.resolve('./baseline-workflow') }, path.join(dir, 'baseline-bundle.js')),
    bundle({ workflowsPath: require.resolve('./mixed-baseline-workflow') }, path.join(dir, 'mixed-baseline-bundle.js')),
  ]);
  await applyMigrations(pg.connectionString);
  const connection = await Connection.connect({ address: temporal.address });
  const payloadKeys = [newPayloadKey('bench')];
  const db = createDb(pg.connectionString);
  log(`PostgreSQL ${pg.connectionString.replace(/:[^:@/]+@/, ':***@')}, Temporal ${temporal.address}`);
  return {
    dir,
    logDir,
    databaseUrl: pg.connectionString,
    temporalAddress: temporal.address,
    temporalMetricsUrl: temporal.metricsUrl,
    payloadKeys,
    client: new Client({ connection, dataConverter: payloadDataConverter(payloadKeys) }),
    db,
    bundles: { pipeline, baseline, mixed },
    cpu: serversCpu(options.topology, temporal.pid, postmasterPid(path.join(dir, 'postgres'))),
    async stop(keepFiles) {
      await connection.close();
      await db.$disconnect();
      await temporal.stop();
      await pg.stop();
      if (!keepFiles) rmSync(dir, { recursive: true, force: true });
    },
  };
}
