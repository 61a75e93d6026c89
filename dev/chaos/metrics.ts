/** The run's effort as PostgreSQL recorded it: investigations, model calls, charges and their retries. */
import type { Db } from '../../db/client';
import { ofRun, PARKING } from './sql';

export interface StoredMetrics {
  investigations: { records: number; parkings: number; byReason: Record<string, number> };
  modelCalls: { total: number; beyondOnePerRecord: number; byOutcome: Record<string, number> };
  charges: { charged: number; refunded: number; retriesThatSkippedBilling: number };
  /** Step attempts beyond the first, as the rows last saw them (the step a record was last in). */
  recordsRetried: number;
}

type Counted = Array<{ key: string | null; n: number }>;
const toRecord = (rows: Counted): Record<string, number> => Object.fromEntries(rows.map((r) => [r.key ?? 'unknown', r.n]));
const sum = (rows: Counted): number => rows.reduce((total, r) => total + r.n, 0);

export async function storedMetrics(db: Db, idPrefix: string): Promise<StoredMetrics> {
  const [reasons, parkedRecords, outcomes, calledRecords, charges, skipped, retried] = await Promise.all([
    db.$queryRaw<Counted>`SELECT detail->>'reason' AS key, count(*)::int AS n FROM record_events
      WHERE ${PARKING} AND ${ofRun(idPrefix, 'record_id')} GROUP BY 1`,
    db.$queryRaw<Counted>`SELECT NULL AS key, count(DISTINCT record_id)::int AS n FROM record_events
      WHERE ${PARKING} AND ${ofRun(idPrefix, 'record_id')}`,
    db.$queryRaw<Counted>`SELECT outcome AS key, count(*)::int AS n FROM model_calls
      WHERE ${ofRun(idPrefix, 'record_id')} GROUP BY 1`,
    db.$queryRaw<Counted>`SELECT NULL AS key, count(DISTINCT record_id)::int AS n FROM model_calls
      WHERE ${ofRun(idPrefix, 'record_id')}`,
    db.$queryRaw<Counted>`SELECT status AS key, count(*)::int AS n FROM charges
      WHERE ${ofRun(idPrefix, 'record_id')} GROUP BY 1`,
    db.$queryRaw<Counted>`SELECT NULL AS key, coalesce(sum(duplicate_attempts), 0)::int AS n FROM charges
      WHERE ${ofRun(idPrefix, 'record_id')}`,
    db.$queryRaw<Counted>`SELECT NULL AS key, count(*)::int AS n FROM records
      WHERE attempts > 1 AND ${ofRun(idPrefix, 'id')}`,
  ]);
  const chargeCounts = toRecord(charges);
  return {
    investigations: { records: sum(parkedRecords), parkings: sum(reasons), byReason: toRecord(reasons) },
    modelCalls: { total: sum(outcomes), beyondOnePerRecord: sum(outcomes) - sum(calledRecords), byOutcome: toRecord(outcomes) },
    charges: { charged: chargeCounts.charged ?? 0, refunded: chargeCounts.refunded ?? 0, retriesThatSkippedBilling: sum(skipped) },
    recordsRetried: sum(retried),
  };
}
