import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient, type Prisma } from '../prisma/generated/client';
import { poolConfig, statementNames, type PoolOptions, type Sql, type SqlClient } from './sql';

export type Db = PrismaClient;
/** Either the client or the client inside `$transaction`: what code that may run in both accepts. */
export type DbClient = Db | Prisma.TransactionClient;

/** Its statements are prepared as the worker's are (db/sql.ts): ingest's is one per POST. */
export function createDb(connectionString: string, options: PoolOptions = {}): Db {
  const nameOf = statementNames();
  // The adapter hands the name to `pg` as it is; past the bound it is undefined, and `pg` then runs
  // the statement unprepared, which the adapter's type (a string, always) does not foresee.
  const statementNameGenerator = (query: { sql: string }) => nameOf(query.sql) as string;
  return new PrismaClient({ adapter: new PrismaPg(poolConfig(connectionString, options), { statementNameGenerator }) });
}

/**
 * The client's raw statements, for a helper the worker runs on its `pg` pool too (db/accounts.ts,
 * reconcile/stuck.ts). Prisma parses int8 and numeric other than `pg` does (db/sql.ts): such a
 * helper casts what it reads.
 */
export function statementsOf(db: DbClient): Pick<SqlClient, 'query' | 'execute'> {
  return {
    query: <Row>(statement: Sql) => db.$queryRaw<Row[]>(statement),
    execute: (statement) => db.$executeRaw(statement),
  };
}
