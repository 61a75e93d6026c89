/**
 * SQL statements as values (`sql`, and `raw` for a name spliced into one), and the client
 * that runs them on a `pg` pool: what the worker's steps and its reconciler use.
 *
 * Why not Prisma's client there: a record's path is raw SQL only, which Prisma's client would only
 * pass on to this same `pg`, through its runtime and after loading its WebAssembly query compiler.
 * In a bare process sending 20,000 raw statements the client took 0.25 ms of CPU per statement
 * against 0.07 on the pool alone, and peaked about 70 MiB higher (BENCHMARKS.md, *The worker
 * without Prisma's client*). The API, whose queries are Prisma's model queries, keeps the client.
 *
 * The statement values are Prisma's own (`Prisma.sql` is this `sql`), so a fragment built here nests
 * in the API's statements and Prisma's `$queryRaw` runs it. Prisma returns int8 as `BigInt` and
 * numeric as `Decimal` where `pg` returns strings: a statement both sides run casts what it returns
 * (`::int`, `::text`). Left as `pg` has them, since the worker reads none: `date` columns (local
 * midnight) and dates inside arrays.
 */
import { Pool, types, type CustomTypesConfig, type PoolConfig } from 'pg';
import { raw, sql, Sql } from '@prisma/client-runtime-utils';

export { raw, sql, Sql };

export interface SqlClient {
  /** The rows the statement returns, as `pg` parses them (jsonb as values, int8 and numeric as strings). */
  query<Row>(statement: Sql): Promise<Row[]>;
  /** How many rows the statement wrote. */
  execute(statement: Sql): Promise<number>;
  end(): Promise<void>;
}

export interface PoolOptions {
  /**
   * Connections per process. Several processes (API, worker, MLLP listener) share one server whose
   * default limit is 100 connections, and statements beyond the pool wait for a connection rather
   * than fail.
   */
  poolSize?: number;
  /**
   * Hears an idle connection that the server dropped (a restart, a failover). The pool has already
   * discarded it and the next statement connects anew, so this is for the operator's log only.
   */
  onIdleError?: (error: Error) => void;
}

const DEFAULT_POOL_SIZE = 10;

export function poolConfig(connectionString: string, options: PoolOptions = {}): PoolConfig {
  return {
    connectionString,
    // `now()` written into a `timestamp` column is in the session's time zone: UTC, as every
    // timestamp the tables hold, whatever the server's own setting.
    options: '-c TimeZone=UTC',
    max: options.poolSize ?? DEFAULT_POOL_SIZE,
    // A bounded wait turns a dead or saturated database into an error Temporal can retry, not a hang.
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
  };
}

// The tables' timestamps are `timestamp(3)` holding UTC, as Prisma writes and reads them; `pg` would
// take them for the process's local time, in both directions.
const TIMESTAMP = types.builtins.TIMESTAMP;
const asUtc = (text: string): Date => new Date(`${text.replace(' ', 'T')}Z`);
const utcTypes: CustomTypesConfig = {
  getTypeParser: (oid, format) => (oid === TIMESTAMP ? asUtc : (types.getTypeParser(oid, format) as (text: string) => unknown)),
};
const parameter = (value: unknown): unknown => (value instanceof Date ? value.toISOString() : value);

/**
 * A statement runs as a named prepared statement, one name per distinct text, so PostgreSQL parses
 * and plans a step's statement (its transition, audit row and counters are one `WITH`), or the
 * API's ingest statement, once per connection, not once per record. The texts come from the code's
 * templates and are few; past the bound a new text runs unnamed, so a caller that built texts
 * without bound could not grow every connection's cache of statements without bound. PostgreSQL
 * plans a prepared statement again after a migration changes its tables; only a changed type of a
 * column a statement returns fails it ("cached plan must not change result type"), in the old
 * processes that a deploy replaces next: Temporal retries the step on a new worker, and a sender
 * told 503 sends again.
 */
export const MAX_NAMED_STATEMENTS = 256;
/** Names for one pool's statements (`pg` runs a statement without a name unprepared). */
export function statementNames(): (text: string) => string | undefined {
  const names = new Map<string, string>();
  return (text) => {
    let name = names.get(text);
    if (name === undefined && names.size < MAX_NAMED_STATEMENTS) {
      name = `di_${names.size + 1}`;
      names.set(text, name);
    }
    return name;
  };
}

export function createSqlClient(connectionString: string, options: PoolOptions = {}): SqlClient {
  const pool = new Pool({ ...poolConfig(connectionString, options), types: utcTypes });
  // An idle connection that the server drops is an 'error' event on the pool, which would end the
  // process if nothing listened.
  pool.on('error', (error) => options.onIdleError?.(error));
  const nameOf = statementNames();
  const run = (statement: Sql) => pool.query({ name: nameOf(statement.text), text: statement.text, values: statement.values.map(parameter) });
  return {
    query: async <Row>(statement: Sql) => (await run(statement)).rows as Row[],
    execute: async (statement) => (await run(statement)).rowCount ?? 0,
    end: () => pool.end(),
  };
}
