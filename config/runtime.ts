import { setFlagsFromString } from 'node:v8';
import type { AppConfig } from '.';
import { ConfigError } from '.';

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
 * Keeps WebAssembly on V8's baseline compiler. Prisma's query compiler is a 3.4 MB WebAssembly
 * module, and V8 recompiles its busy functions with its optimising compiler on background threads;
 * the memory those compilations take stays with the process, about 45 MiB of RSS in each process
 * that queries the database (BENCHMARKS.md). The faster code would buy next to nothing: Prisma
 * compiles a query shape once and caches its plan. Set before the first query compiles the module.
 */
function keepWebAssemblyUnoptimised(): void {
  setFlagsFromString('--no-wasm-dynamic-tiering');
  setFlagsFromString('--no-wasm-tier-up');
}

/** Ends the process with one readable line for a configuration error, a stack for anything else. */
export function runMain(main: () => Promise<unknown>): void {
  keepWebAssemblyUnoptimised();
  main().catch((err: unknown) => {
    console.error(err instanceof ConfigError ? `configuration error: ${err.message}` : err);
    process.exit(1);
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
