/**
 * The Temporal server of the production topology, run as docker-compose.yml runs it: the real
 * server (frontend, history, matching and worker services in one process) with the committed
 * deploy/temporal/server.yaml, persistence and visibility on the project's PostgreSQL, its
 * databases created and migrated by its own SQL tool, then the namespace and the search
 * attributes the pipeline writes. Both binaries come from dev/provision.ts (pinned, hash-checked).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { Connection } from '@temporalio/client';
import { grpc, temporal } from '@temporalio/proto';
import Long from 'long';
import { Client as PgClient } from 'pg';
import { RECORD_SEARCH_ATTRIBUTES } from '../../contract';
import { freePort, supervise } from '../processes';
import { ensureGoTool, type Log, type ProvisionOptions } from '../provision';

const DEPLOY_DIR = path.resolve(__dirname, '..', '..', 'deploy', 'temporal');
export const SERVER_CONFIG_FILE = path.join(DEPLOY_DIR, 'server.yaml');
export const DYNAMIC_CONFIG_FILE = path.join(DEPLOY_DIR, 'dynamicconfig.yaml');

/** Its own role, as docker-compose.yml gives it one: it may create databases, nothing more. */
export const TEMPORAL_ROLE = 'temporal';
const ROLE = { user: TEMPORAL_ROLE, password: 'temporal' };
/** Each database with the schema embedded in the SQL tool that migrates it. */
const DATABASES = [
  { name: 'temporal', schema: 'postgresql/v12/temporal' },
  { name: 'temporal_visibility', schema: 'postgresql/v12/visibility' },
] as const;
/**
 * The membership ports are stored in a SMALLINT column (cluster_membership.rpc_port): a port above
 * 32767 stops the server at start, and freePort stays below 32768.
 */
const SERVICE_PORTS = [
  'FRONTEND_HTTP_PORT',
  'HISTORY_GRPC_PORT',
  'MATCHING_GRPC_PORT',
  'WORKER_GRPC_PORT',
  'FRONTEND_MEMBERSHIP_PORT',
  'HISTORY_MEMBERSHIP_PORT',
  'MATCHING_MEMBERSHIP_PORT',
  'WORKER_MEMBERSHIP_PORT',
] as const;
const SERVING_TIMEOUT_MS = 120_000;
/** For a PostgreSQL shared with the server: its pools (up to 30 connections) beside the app processes' (10 each). */
export const SHARED_POSTGRES_MAX_CONNECTIONS = 200;
const RETENTION_SECONDS = 72 * 3600;

export interface TemporalServerOptions {
  /** A superuser's URL of the PostgreSQL cluster to use (the embedded one's): the server's role is made through it. */
  adminDatabaseUrl: string;
  /** The frontend's gRPC port, on 127.0.0.1; every other port of the server is a free one. */
  frontendPort: number;
  namespace: string;
  /** Fixed for the life of the databases; the config's default is 4. */
  historyShards?: number;
  /** The server's output goes here; without it, onto the caller's, prefixed. */
  logFile?: string;
  /** Where the server serves its Prometheus metrics, on 127.0.0.1; none without it. */
  metricsPort?: number;
  provision?: ProvisionOptions;
  log: Log;
}

export interface TemporalServer {
  address: string;
  /** The server process's, while it runs (for CPU accounting). */
  pid(): number | undefined;
  stop(): Promise<void>;
}

export async function startTemporalServer(options: TemporalServerOptions): Promise<TemporalServer> {
  // One after the other: on a cold cache both are built, and the second reuses the first's build cache.
  const server = await ensureGoTool('temporal-server', options.log, options.provision);
  const sqlTool = await ensureGoTool('temporal-sql-tool', options.log, options.provision);
  const { hostname, port } = new URL(options.adminDatabaseUrl);
  await ensureRole(options.adminDatabaseUrl);
  await migrate(sqlTool, hostname, port || '5432', options.log);
  const env = await serverEnv(options, hostname, port || '5432');
  const supervised = supervise(
    {
      name: 'temporal',
      command: server,
      args: ['--config-file', SERVER_CONFIG_FILE, '--allow-no-auth', 'start'],
      env,
      restart: true,
      logFile: options.logFile,
    },
    options.log,
  );
  const address = `127.0.0.1:${options.frontendPort}`;
  try {
    const connection = await untilServing(address, () => supervised.pid() !== undefined);
    try {
      await ensureNamespace(connection, options.namespace);
    } finally {
      await connection.close();
    }
  } catch (err) {
    await supervised.stop();
    throw err;
  }
  options.log(`Temporal server ${address} on PostgreSQL ${hostname}:${port}, namespace ${options.namespace}`);
  return { address, pid: () => supervised.pid(), stop: () => supervised.stop() };
}

async function ensureRole(adminDatabaseUrl: string): Promise<void> {
  const client = new PgClient({ connectionString: adminDatabaseUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [ROLE.user]);
    if (found.rowCount === 0) {
      await client.query(`CREATE ROLE ${client.escapeIdentifier(ROLE.user)} LOGIN CREATEDB PASSWORD ${client.escapeLiteral(ROLE.password)}`);
    }
  } finally {
    await client.end();
  }
}

/** What docker-compose.yml's temporal-schema runs; each command does nothing when it has run before. */
async function migrate(sqlTool: string, host: string, port: string, log: Log): Promise<void> {
  const started = Date.now();
  for (const db of DATABASES) {
    const env = { ...process.env, SQL_PLUGIN: 'postgres12', SQL_HOST: host, SQL_PORT: port, SQL_USER: ROLE.user, SQL_PASSWORD: ROLE.password, SQL_DATABASE: db.name };
    for (const args of [['create-database'], ['setup-schema', '--version', '0.0'], ['update-schema', '--schema-name', db.schema]]) {
      await promisify(execFile)(sqlTool, args, { env, maxBuffer: 64 * 1024 * 1024 }).catch((err: Error & { stderr?: string }) => {
        throw new Error(`temporal-sql-tool ${args.join(' ')} on ${db.name} failed: ${(err.stderr ?? err.message).trim().split('\n').slice(-3).join(' | ')}`);
      });
    }
  }
  log(`Temporal's databases ${DATABASES.map((d) => d.name).join(' and ')} migrated in ${Date.now() - started} ms`);
}

/** The variables server.yaml reads; everything else of the caller's environment stays out. */
async function serverEnv(options: TemporalServerOptions, host: string, port: string): Promise<NodeJS.ProcessEnv> {
  const ports = await Promise.all(SERVICE_PORTS.map(async (name) => [name, String(await freePort())] as const));
  return {
    PATH: process.env.PATH,
    DB: 'postgres12',
    POSTGRES_SEEDS: host,
    DB_PORT: port,
    POSTGRES_USER: ROLE.user,
    POSTGRES_PWD: ROLE.password,
    NUM_HISTORY_SHARDS: String(options.historyShards ?? 4),
    BIND_ON_IP: '127.0.0.1',
    FRONTEND_GRPC_PORT: String(options.frontendPort),
    ...Object.fromEntries(ports),
    DYNAMIC_CONFIG_FILE_PATH: DYNAMIC_CONFIG_FILE,
    LOG_LEVEL: 'warn',
    ...(options.metricsPort ? { PROMETHEUS_ENDPOINT: `127.0.0.1:${options.metricsPort}` } : {}),
  };
}

async function untilServing(address: string, alive: () => boolean): Promise<Connection> {
  const deadline = Date.now() + SERVING_TIMEOUT_MS;
  let last = 'no answer yet';
  while (Date.now() < deadline) {
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2_000 });
      const { status } = await connection.healthService.check({});
      if (status === grpc.health.v1.HealthCheckResponse.ServingStatus.SERVING) return connection;
      last = `health ${String(status)}`;
      await connection.close();
    } catch (err) {
      last = err instanceof Error ? err.message : String(err);
    }
    if (!alive()) last = `the server exited (${last})`;
    await sleep(250);
  }
  throw new Error(`the Temporal server at ${address} did not serve within ${SERVING_TIMEOUT_MS} ms: ${last}`);
}

/**
 * A new namespace takes a moment to reach every service, so the search attributes are retried until
 * it has; adding ones that exist with the same type succeeds, so a restart repeats this harmlessly.
 */
async function ensureNamespace(connection: Connection, namespace: string): Promise<void> {
  const service = connection.workflowService;
  const exists = await service.describeNamespace({ namespace }).then(
    () => true,
    () => false,
  );
  if (!exists) await service.registerNamespace({ namespace, workflowExecutionRetentionPeriod: { seconds: Long.fromNumber(RETENTION_SECONDS) } });
  const searchAttributes = Object.fromEntries(
    RECORD_SEARCH_ATTRIBUTES.map((key) => [key.name, temporal.api.enums.v1.IndexedValueType.INDEXED_VALUE_TYPE_KEYWORD]),
  );
  const deadline = Date.now() + SERVING_TIMEOUT_MS;
  for (;;) {
    try {
      await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
      return;
    } catch (err) {
      if (Date.now() > deadline) throw err;
      await sleep(250);
    }
  }
}
