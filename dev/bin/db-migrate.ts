/**
 * `npm run db:migrate` applies prisma/migrations to DATABASE_URL, or, when it is unset, to the
 * embedded PostgreSQL in $DATA_DIR/postgres (joined if `npm start` already runs it).
 *   --create <name>  writes a new migration from the difference between schema.prisma and the migrations
 *   --check          exits 1 (printing the SQL) when schema.prisma has changes no migration covers
 *   --recount-metrics  sets the metric totals from the tables, after rows were written around the
 *                      statements that keep them (a restore, a hand fix); safe while the service runs
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../../config';
import { runMain } from '../../config/runtime';
import { ensureDefaultAccount } from '../../db/accounts';
import { createDb, statementsOf } from '../../db/client';
import { recountMetrics } from '../../db/metrics';
import { DEFAULT_EMBEDDED_PG_PORT, startEmbeddedPostgres } from '../postgres';
import { applyMigrations, createMigration, diffSchemaAgainstMigrations } from '../migrations';

const log = (line: string) => console.log(`[db-migrate] ${line}`);

async function withDatabase<T>(fn: (connectionString: string) => Promise<T>): Promise<T> {
  if (process.env.DATABASE_URL) return fn(process.env.DATABASE_URL);
  const dataDir = path.resolve(process.env.DATA_DIR ?? '.data', 'postgres');
  const port = Number(process.env.EMBEDDED_PG_PORT ?? DEFAULT_EMBEDDED_PG_PORT);
  if (!Number.isInteger(port) || port <= 0) throw new Error(`EMBEDDED_PG_PORT must be a port number, got "${process.env.EMBEDDED_PG_PORT}"`);
  const started = Date.now();
  const pg = await startEmbeddedPostgres({ dataDir, port });
  log(`embedded PostgreSQL on ${dataDir} ready in ${Date.now() - started} ms`);
  try {
    return await fn(pg.connectionString);
  } finally {
    await pg.stop();
  }
}

async function create(name: string): Promise<void> {
  const dir = await withDatabase((url) => createMigration(name, url, log));
  log(dir ? `created ${path.relative(process.cwd(), dir)}; apply it with \`npm run db:migrate\`` : 'no changes');
}

async function check(): Promise<void> {
  const sql = await withDatabase((url) => diffSchemaAgainstMigrations(url, log));
  if (!sql) return log('prisma/migrations match schema.prisma');
  log('schema.prisma has changes no migration covers; create one with `npm run db:migrate -- --create <name>`:');
  console.log(sql);
  process.exitCode = 1;
}

async function recount(url: string): Promise<void> {
  const db = createDb(url, { poolSize: 1 });
  await recountMetrics(db).finally(() => db.$disconnect());
  log('metric totals set from the tables');
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { create: { type: 'string' }, check: { type: 'boolean' }, 'recount-metrics': { type: 'boolean' } }, strict: true });
  if (values.create !== undefined && values.check) throw new Error('--create and --check exclude each other');
  if (values.create !== undefined) return create(values.create);
  if (values.check) return check();
  if (values['recount-metrics']) return withDatabase(recount);
  await withDatabase(async (url) => {
    await applyMigrations(url, log);
    // The account every record without one belongs to; the services make sure of it too.
    const db = createDb(url);
    await ensureDefaultAccount(statementsOf(db), loadConfig(process.env).billing.currency).finally(() => db.$disconnect());
  });
}

runMain(main);
