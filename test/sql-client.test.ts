/**
 * The worker's statements run on `pg` (db/sql.ts), the API's through Prisma, on the same tables.
 * Both must agree on what a timestamp means: the columns are `timestamp(3)` holding UTC, and
 * neither a process nor a database server whose time zone is not UTC may write or read them as
 * local time. And a statement fragment must be one kind of value on both sides, or it would not
 * nest in the other's statements. Both sides' statements are prepared once per connection, and no
 * caller can make that cache grow without bound.
 */
import { createDb, statementsOf } from '../db/client';
import { createSqlClient, MAX_NAMED_STATEMENTS, raw, sql, Sql, type SqlClient } from '../db/sql';
import { Prisma } from '../prisma/generated/client';
import { migratedDatabase, query } from './support/database';
import { inFreshNode } from './support/fresh-node';
import { until } from './support/until';

const ZONE = 'America/New_York';
let database: { url: string; drop: () => Promise<void> };
beforeAll(async () => {
  // Its own database, whose server-side zone it can set: other suites' rows are none of its business.
  const name = `sql_client_test_${process.pid}`;
  database = await migratedDatabase(name);
  await query(database.url, `ALTER DATABASE "${name}" SET timezone = '${ZONE}'`);
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
    const before = Date.now();
    await workerDb.execute(sql\`UPDATE records SET updated_at = now() WHERE id = 'by-pg'\`);
    await db.$executeRaw(sql\`UPDATE records SET updated_at = now() WHERE id = 'by-prisma'\`);
    const after = Date.now();
    const readByPg = await workerDb.query(sql\`SELECT id, created_at, updated_at FROM records ORDER BY id\`);
    const readByPrisma = await db.record.findMany({ select: { id: true, createdAt: true }, orderBy: { id: 'asc' } });
    process.stdout.write(JSON.stringify({
      offsetMinutes: at.getTimezoneOffset(),
      readByPg: readByPg.map((r) => [r.id, r.created_at.toISOString()]),
      readByPrisma: readByPrisma.map((r) => [r.id, r.createdAt.toISOString()]),
      nowWithinTheCall: readByPg.map((r) => r.updated_at.getTime() >= before - 1 && r.updated_at.getTime() <= after + 1),
    }));
    await db.$disconnect();
    await workerDb.end();
  })();`;

it(`with the process and the database on ${ZONE}, pg and Prisma write and read a record's timestamps as the same instant`, () => {
  const seen: unknown = JSON.parse(inFreshNode(ROUND_TRIP, { TZ: ZONE, DATABASE_URL: database.url }));
  const both = [['by-pg', '2026-12-02T12:34:56.789Z'], ['by-prisma', '2026-12-02T12:34:56.789Z']];
  expect(seen).toEqual({ offsetMinutes: 300, readByPg: both, readByPrisma: both, nowWithinTheCall: [true, true] });
});

it("a fragment built with db/sql is Prisma's own statement value, so it nests in Prisma.sql", () => {
  expect(Prisma.Sql).toBe(Sql);
  const nested = Prisma.sql`SELECT ${1} WHERE ${sql`x = ${2}`}`;
  expect({ text: nested.text, values: nested.values }).toEqual({ text: 'SELECT $1 WHERE x = $2', values: [1, 2] });
});

it('an idle connection the server drops is heard once, not left to end the process, and the next statement connects anew', async () => {
  const dropped: Error[] = [];
  const workerDb = createSqlClient(database.url, { poolSize: 1, onIdleError: (err) => dropped.push(err) });
  try {
    const backendPid = async () => (await workerDb.query<{ pid: number }>(sql`SELECT pg_backend_pid() AS pid`))[0]?.pid;
    const before = await backendPid();
    await query(database.url, `SELECT pg_terminate_backend(${before})`);
    await until('the pool to hear that its idle connection was dropped', async () => (dropped.length > 0 ? true : undefined));
    expect(dropped.map((err) => err.message)).toEqual([expect.stringMatching(/terminating connection/)]);
    expect(before).toEqual(expect.any(Number));
    expect(await backendPid()).not.toBe(before);
  } finally {
    await workerDb.end();
  }
});

const onePool = {
  "the worker's pg pool": (url: string): Statements => createSqlClient(url, { poolSize: 1 }),
  "the API's Prisma client": (url: string): Statements => {
    const db = createDb(url, { poolSize: 1 });
    return { ...statementsOf(db), end: () => db.$disconnect() };
  },
};
type Statements = Pick<SqlClient, 'query' | 'end'>;

it.each(Object.entries(onePool))('on %s, a statement is prepared once per connection and run again with other values; past the bound, new texts run unprepared', async (_, open) => {
  const client = open(database.url);
  try {
    const sum = (a: number, b: number) => client.query<{ sum: number }>(sql`SELECT ${a}::int + ${b}::int AS sum`);
    expect([await sum(1, 2), await sum(40, 2)]).toEqual([[{ sum: 3 }], [{ sum: 42 }]]);
    const prepared = () => client.query<{ statement: string }>(sql`SELECT statement FROM pg_prepared_statements`);
    expect((await prepared()).map((row) => row.statement).sort()).toEqual(
      ['SELECT $1::int + $2::int AS sum', 'SELECT statement FROM pg_prepared_statements'].sort(),
    );
    const texts = Array.from({ length: MAX_NAMED_STATEMENTS + 10 }, (_, i) => i);
    for (const i of texts) {
      expect(await client.query(sql`SELECT ${i}::int AS ${raw(`n${i}`)}`)).toEqual([{ [`n${i}`]: i }]);
    }
    expect(await prepared()).toHaveLength(MAX_NAMED_STATEMENTS);
  } finally {
    await client.end();
  }
});
