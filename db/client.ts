import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient, type Prisma } from '../prisma/generated/client';

export type Db = PrismaClient;
/** Either the client or the client inside `$transaction`: what code that may run in both accepts. */
export type DbClient = Db | Prisma.TransactionClient;

export interface DbOptions {
  /**
   * Connections per process. Several processes (API, worker, MLLP listener) share one server whose
   * default limit is 100 connections, and activities beyond the pool wait for a connection rather
   * than fail.
   */
  poolSize?: number;
}

const DEFAULT_POOL_SIZE = 10;

export function createDb(connectionString: string, options: DbOptions = {}): Db {
  const adapter = new PrismaPg({
    connectionString,
    max: options.poolSize ?? DEFAULT_POOL_SIZE,
    // A bounded wait turns a dead or saturated database into an error Temporal can retry, not a hang.
    connectionTimeoutMillis: 10_000,
    idleTimeoutMillis: 30_000,
  });
  return new PrismaClient({ adapter });
}
