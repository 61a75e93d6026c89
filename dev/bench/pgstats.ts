/** PostgreSQL's own count of committed transactions: every statement outside one is one too. */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Db } from '../../db/client';

// Backends report their counters when idle, at most once a second.
const STATS_FLUSH_MS = 1_500;

export async function committedTransactions(db: Db, settle = true): Promise<number> {
  if (settle) await sleep(STATS_FLUSH_MS);
  const rows = await db.$queryRaw<Array<{ commits: bigint }>>`SELECT xact_commit AS commits FROM pg_stat_database WHERE datname = current_database()`;
  return Number(rows[0]?.commits ?? 0);
}
