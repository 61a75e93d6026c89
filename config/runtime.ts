import type { Server } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import type { AppConfig } from '.';
import { ConfigError } from './error';

/** Processes other than the supervisor need a database URL: `npm start` hands them the embedded one. */
export function requireDatabaseUrl(config: AppConfig): string {
  if (!config.databaseUrl) throw new ConfigError('DATABASE_URL is not set: run through `npm start` (embedded PostgreSQL) or set it');
  return config.databaseUrl;
}

/**
 * The embedded server that `npm start` runs (dev/postgres.ts creates it with exactly this
 * address, user and database): where tools run beside it (audit, chaos) look when DATABASE_URL is
 * unset. Loopback only.
 */
export const LOCAL_DATABASE = { user: 'postgres', password: 'postgres', host: '127.0.0.1', database: 'durable_inference' } as const;

export const localDatabaseUrl = (port: number, database: string = LOCAL_DATABASE.database): string =>
  `postgresql://${LOCAL_DATABASE.user}:${LOCAL_DATABASE.password}@${LOCAL_DATABASE.host}:${port}/${database}`;

/** DATABASE_URL, else the local embedded server's. */
export const databaseUrlOrLocal = (config: AppConfig): string => config.databaseUrl ?? localDatabaseUrl(config.embeddedPgPort);

/**
 * The V8 settings of every process of ours, set before it does any work (BENCHMARKS.md, *Memory
 * under load*):
 * - WebAssembly stays on the baseline compiler. Prisma's query compiler is a 3.4 MB WebAssembly
 *   module that V8 would recompile with its optimising compiler on background threads, and the
 *   memory those compilations take stays with the process: about 45 MiB of RSS in each process that
 *   queries the database. Faster code would buy nothing: `$queryRaw`, which a record's path uses,
 *   does not run the compiler, and other queries are compiled once per shape and cached.
 * - A full collection once the old generation has grown by half since the last one. By default V8
 *   lets it grow to up to four times what is live, and the API's and the worker's peaks were that
 *   garbage: about 50 MiB live, up to 170 MiB in use before the next full collection.
 */
function applyV8Settings(): void {
  for (const flag of ['--no-wasm-dynamic-tiering', '--no-wasm-tier-up', '--heap-growing-percent=50']) setFlagsFromString(flag);
}

/**
 * The exit code of a process that refused its configuration (sysexits' EX_CONFIG). Started again
 * as it is, it would refuse again: a supervisor stops rather than restart it (dev/processes.ts).
 */
export const EXIT_CONFIGURATION = 78;

/** Ends the process with one readable line for a configuration error, a stack for anything else. */
export function runMain(main: () => Promise<unknown>): void {
  applyV8Settings();
  main().catch((err: unknown) => {
    const refused = err instanceof ConfigError;
    console.error(refused ? `configuration error: ${err.message}` : err);
    process.exit(refused ? EXIT_CONFIGURATION : 1);
  });
}

const LISTEN_REFUSALS: Record<string, string> = {
  EADDRINUSE: 'the port is in use by another program (or another copy of this one)',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'the address is not one of this machine',
};

export interface Listener {
  port: number;
  host: string | undefined;
  /** The setting that chose the port, and its value when that is more than the port (an address). */
  setting: string;
  value?: string;
}

/**
 * Listens, or says which setting to change: a port another program holds is the operator's to
 * settle, and no restart of ours can take it back.
 */
export async function listenOn(server: Server, { port, host, setting, value = String(port) }: Listener): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      const refusal = err.code ? LISTEN_REFUSALS[err.code] : undefined;
      reject(refusal ? new ConfigError(`${setting}=${value}: cannot listen on ${host ?? 'every address'}:${port}: ${refusal}`, { cause: err }) : err);
    });
    server.listen(port, host, () => resolve());
  });
}

/** Runs a long-lived service until SIGINT or SIGTERM, then closes it and exits cleanly. */
export function runService(start: () => Promise<{ close(): Promise<void> }>): void {
  runMain(async () => {
    const service = await start();
    const stop = () => void service.close().then(() => process.exit(0));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
