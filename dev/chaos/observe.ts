/** The run's records as PostgreSQL holds them, counted by status: the progress and the settle test. */
import type { RecordStatus } from '../../contract';
import type { Db } from '../../db/client';

export type StatusCounts = Record<RecordStatus, number>;

/** A run's ids all start with its prefix, HL7 ones after `hl7-`; other records on a shared stack are not counted. */
const ownedBy = (idPrefix: string) => ({ OR: [{ id: { startsWith: idPrefix } }, { id: { startsWith: `hl7-${idPrefix}` } }] });
export const isRunRecord = (idPrefix: string) => (id: string): boolean => id.startsWith(idPrefix) || id.startsWith(`hl7-${idPrefix}`);

export async function countStatuses(db: Db, idPrefix: string): Promise<StatusCounts> {
  const groups = await db.record.groupBy({ by: ['status'], where: ownedBy(idPrefix), _count: { _all: true } });
  const counts: StatusCounts = { received: 0, processing: 0, completed: 0, needs_investigation: 0, failed: 0 };
  for (const g of groups) counts[g.status as RecordStatus] = g._count._all;
  return counts;
}

const settledCount = (c: StatusCounts): number => c.completed + c.failed;
/** Records no worker is busy with right now: settled, or waiting for an operator. */
export const restingCount = (c: StatusCounts): number => settledCount(c) + c.needs_investigation;

export interface CountWatch {
  current(): StatusCounts;
  stop(): void;
}

/** Polled in the background for the progress line; while PostgreSQL is down the last counts stand. */
export function watchCounts(db: Db, idPrefix: string, everyMs = 1_000): CountWatch {
  let latest: StatusCounts = { received: 0, processing: 0, completed: 0, needs_investigation: 0, failed: 0 };
  let busy = false;
  const timer = setInterval(() => {
    if (busy) return;
    busy = true;
    countStatuses(db, idPrefix)
      .then((c) => (latest = c), () => undefined)
      .finally(() => (busy = false));
  }, everyMs);
  return { current: () => latest, stop: () => clearInterval(timer) };
}
