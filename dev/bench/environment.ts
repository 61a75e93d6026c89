/**
 * What every scenario shares, started like `npm start` starts it but on free ports and in a
 * temporary folder: embedded PostgreSQL with the migrations, one Temporal dev server, and the three
 * workflow bundles (the pipeline's with the options every other build uses, and each baseline's),
 * built once so a worker starts in about a second instead of running webpack every time.
 */
import { Client, Connection } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, type BundleOptions } from '@temporalio/worker';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { RECORD_SEARCH_ATTRIBUTES } from '../../contract';
import { createDb, type Db } from '../../db/client';
import { startEmbeddedPostgres } from '../postgres';
import { applyMigrations } from '../migrations';
import { freePort, waitForPort } from '../processes';
import { ensureTemporalCli, type ProvisionOptions } from '../provision';
import { workflowBundleOptions } from '../../workers/bundle';
import { spawnChild, type WorkerKind } from './children';

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
  client: Client;
  db: Db;
  bundles: Record<WorkerKind, string>;
  pids: { temporal: number; postgres: number };
  /** Removes the temporary folder unless told to keep it (a failed run keeps its logs). */
  stop(keepFiles: boolean): Promise<void>;
}

async function startTemporal(cli: string, store: TemporalStore, dir: string, logDir: string, env: NodeJS.ProcessEnv) {
  const port = await freePort();
  const server = spawnChild({
    name: 'temporal',
    command: cli,
    args: [
      'server', 'start-dev',
      '--ip', '127.0.0.1',
      '--port', String(port),
      '--headless',
      ...(store === 'file' ? ['--db-filename', path.join(dir, 'temporal.sqlite')] : []),
      ...RECORD_SEARCH_ATTRIBUTES.flatMap((key) => ['--search-attribute', `${key.name}=Keyword`]),
      '--log-level', 'warn',
    ],
    env,
    logFile: path.join(logDir, 'temporal.log'),
  });
  await waitForPort(port, '127.0.0.1', 60_000);
  return { address: `127.0.0.1:${port}`, server };
}

async function bundle(options: BundleOptions, out: string): Promise<string> {
  const { code } = await bundleWorkflowCode({ ...options, logger: new DefaultLogger('WARN') });
  writeFileSync(out, code);
  return out;
}

export interface EnvironmentOptions {
  provision: ProvisionOptions;
  temporalStore: TemporalStore;
  baseEnv: NodeJS.ProcessEnv;
  log: Log;
}

const postmasterPid = (dataDir: string): number => Number(readFileSync(path.join(dataDir, 'postmaster.pid'), 'utf8').split('\n')[0]);

export async function startEnvironment({ provision, temporalStore, baseEnv, log }: EnvironmentOptions): Promise<BenchEnvironment> {
  const dir = mkdtempSync(path.join(tmpdir(), 'durable-inference-bench-'));
  const logDir = path.join(dir, 'logs');
  mkdirSync(logDir);
  log(`scratch folder ${dir}`);
  const cli = await ensureTemporalCli(log, provision);
  const [pg, temporal, pipeline, baseline, mixed] = await Promise.all([
    freePort().then((port) => startEmbeddedPostgres({ dataDir: path.join(dir, 'postgres'), port })),
    startTemporal(cli, temporalStore, dir, logDir, baseEnv),
    bundle(workflowBundleOptions, path.join(dir, 'pipeline-bundle.js')),
    bundle({ workflowsPath: require.resolve('./baseline-workflow') }, path.join(dir, 'baseline-bundle.js')),
    bundle({ workflowsPath: require.resolve('./mixed-baseline-workflow') }, path.join(dir, 'mixed-baseline-bundle.js')),
  ]);
  await applyMigrations(pg.connectionString);
  const connection = await Connection.connect({ address: temporal.address });
  const db = createDb(pg.connectionString);
  log(`PostgreSQL ${pg.connectionString.replace(/:[^:@/]+@/, ':***@')}, Temporal ${temporal.address}`);
  return {
    dir,
    logDir,
    databaseUrl: pg.connectionString,
    temporalAddress: temporal.address,
    client: new Client({ connection }),
    db,
    bundles: { pipeline, baseline, mixed },
    pids: { temporal: temporal.server.pid, postgres: postmasterPid(path.join(dir, 'postgres')) },
    async stop(keepFiles) {
      await connection.close();
      await db.$disconnect();
      await temporal.server.stop();
      await pg.stop();
      if (!keepFiles) rmSync(dir, { recursive: true, force: true });
    },
  };
}
