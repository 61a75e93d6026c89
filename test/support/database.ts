/**
 * Databases of a test's own on the shared server, built by the same migration CLI operators run
 * (a child process: the schema engine is ESM-only, which Jest's registry cannot load on Node 20).
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { Client } from 'pg';
import { requiredEnv } from './stack';

const REPO = path.resolve(__dirname, '..', '..');
const CLI = path.join(REPO, 'dev', 'bin', 'db-migrate.ts');

export interface CliResult {
  code: number;
  output: string;
}

export function runMigrateCli(databaseUrl: string, ...args: string[]): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', CLI, ...args],
      { cwd: REPO, env: { ...process.env, DATABASE_URL: databaseUrl }, timeout: 60_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, output: stdout + stderr }),
    );
  });
}

export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function query<T>(url: string, sql: string): Promise<T[]> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

/** An empty database (dropped first if a previous run left it), and a function that drops it. */
export async function emptyDatabase(name: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const serverUrl = requiredEnv('DATABASE_URL');
  await query(serverUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await query(serverUrl, `CREATE DATABASE "${name}"`);
  return {
    url: databaseUrl(serverUrl, name),
    drop: async () => void (await query(serverUrl, `DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)),
  };
}

/** A migrated database of the test's own, for assertions on totals that other test files would disturb. */
export async function migratedDatabase(name: string): Promise<{ url: string; drop: () => Promise<void> }> {
  const database = await emptyDatabase(name);
  const run = await runMigrateCli(database.url);
  if (run.code !== 0) throw new Error(`migrations failed on ${name}:\n${run.output}`);
  return database;
}
