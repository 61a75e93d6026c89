import type { AppConfig } from '.';
import { ConfigError } from '.';

/** Processes other than the supervisor need a database URL: `npm start` hands them the embedded one. */
export function requireDatabaseUrl(config: AppConfig): string {
  if (!config.databaseUrl) throw new ConfigError('DATABASE_URL is not set: run through `npm start` (embedded PostgreSQL) or set it');
  return config.databaseUrl;
}

/** Ends the process with one readable line for a configuration error, a stack for anything else. */
export function runMain(main: () => Promise<unknown>): void {
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
