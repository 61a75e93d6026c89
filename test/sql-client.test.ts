/**
 * The worker's statements run on `pg` (db/sql.ts), the API's through Prisma, on the same tables.
 * Both must agree on what a timestamp means: the columns are `timestamp(3)` holding UTC, and a
 * process whose local time zone is not UTC must neither write nor read them as local time.
 */
import { migratedDatabase } from './support/database';
import { inFreshNode } from './support/fresh-node';

const ZONE = 'America/New_York';
let database: { url: string; drop: () => Promise<void> };
beforeAll(async () => {
  // Its own database: rows of other suites' records are none of its business, and its rows none of theirs.
  database = await migratedDatabase(`sql_client_test_${process.pid}`);
});
afterAll(async () => {
  await database?.drop();
});

// Run in a process of its own: the time zone is read from TZ, which a test cannot change in Jest's sandbox.
const ROUND_TRIP = `
  const { createDb } = require('./db/client');
  const { createSqlClient, sql } = require('./db/sql');
  (async () => {
    const db = createDb(process.env.DATABASE_URL);
    const workerDb = createSqlClient(process.env.DATABASE_URL);
    const at = new Date(Date.UTC(2026, 11, 2, 12, 34, 56, 789));
    const row = { source: 'api', input: { text: 'x' }, inputHash: 'h', status: 'failed' };
    await db.record.create({ data: { ...row, id: 'by-prisma', createdAt: at } });
    await db.record.create({ data: { ...row, id: 'by-pg' } });
    await workerDb.execute(sql\`UPDATE records SET created_at = \${at} WHERE id = 'by-pg'\`);
    const readByPg = await workerDb.query(sql\`SELECT id, created_at FROM records ORDER BY id\`);
    const readByPrisma = await db.record.findMany({ select: { id: true, createdAt: true }, orderBy: { id: 'asc' } });
    process.stdout.write(JSON.stringify({
      offsetMinutes: at.getTimezoneOffset(),
      written: at.toISOString(),
      readByPg: readByPg.map((r) => [r.id, r.created_at.toISOString()]),
      readByPrisma: readByPrisma.map((r) => [r.id, r.createdAt.toISOString()]),
    }));
    await db.$disconnect();
    await workerDb.end();
  })();`;

it(`in a process on ${ZONE}, pg and Prisma write and read a record's timestamps as the same instant`, () => {
  const seen = JSON.parse(inFreshNode(ROUND_TRIP, { TZ: ZONE, DATABASE_URL: database.url })) as Record<string, unknown>;
  const both = [['by-pg', seen.written], ['by-prisma', seen.written]];
  expect(seen).toEqual({ offsetMinutes: 300, written: '2026-12-02T12:34:56.789Z', readByPg: both, readByPrisma: both });
});
