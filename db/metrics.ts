/**
 * The application metrics (DESIGN §6) are kept as totals, so a scrape reads a few rows however many
 * records there are: every statement that changes what a metric counts also appends the change to
 * `metric_deltas`, in the same statement, and a scrape folds the deltas into `metric_totals`
 * (metrics/api.ts). These are the CTEs that append them.
 */
import type { Db } from './client';
import { raw, sql, type Sql } from './sql';

/**
 * `<name> AS (INSERT INTO metric_deltas …)` from a query of `(metric, labels, delta)` rows; `labels`
 * is a jsonb object, stored as its text (jsonb orders its keys, so one label set has one spelling).
 */
export const metricDeltas = (name: string, rows: Sql): Sql => sql`
  ${raw(name)} AS (
    INSERT INTO metric_deltas (metric, labels, delta)
    SELECT metric, labels::jsonb::text, delta FROM (${rows}) AS d(metric, labels, delta) WHERE delta <> 0
    RETURNING 1
  )`;

/** One delta per row of `source` (a CTE or table name), with labels built from its columns. */
export const countEach = (name: string, source: string, metric: string, labels: Sql = sql`'{}'::jsonb`, delta: Sql = sql`1`): Sql =>
  metricDeltas(name, sql`SELECT ${metric}::text, ${labels}, (${delta})::bigint FROM ${raw(source)}`);

/** What each stored total counts, from the tables themselves. */
const COUNTED = sql`
  SELECT 'records_total', jsonb_build_object('status', status)::text, count(*) FROM records GROUP BY status
  UNION ALL SELECT 'charges_total', '{}', count(*) FROM charges
  UNION ALL SELECT 'refunds_total', '{}', count(*) FILTER (WHERE status = 'refunded') FROM charges
  UNION ALL SELECT 'duplicate_charges_prevented_total', '{}', coalesce(sum(duplicate_attempts), 0) FROM charges
  UNION ALL SELECT 'model_calls_total', jsonb_build_object('provider', provider, 'outcome', outcome)::text, count(*) FROM model_calls GROUP BY provider, outcome
  UNION ALL SELECT 'model_cost_micros_total', jsonb_build_object('provider', provider)::text, sum(cost_micros) FROM model_calls GROUP BY provider
  UNION ALL SELECT 'results_total', jsonb_build_object('tier', tier)::text, count(*) FROM record_results GROUP BY tier`;

/**
 * Sets every total to what the tables hold, for a database whose rows predate the totals (run once,
 * by the migration step, when the metric tables are created). Exact while writers run: the lock
 * waits for every statement that has appended a delta to commit and holds off new ones, and the
 * snapshot the counts read is taken after it.
 */
export async function recountMetrics(db: Db): Promise<void> {
  await db.$transaction(
    async (tx) => {
      await tx.$executeRaw`LOCK TABLE metric_deltas IN EXCLUSIVE MODE`;
      await tx.$executeRaw`DELETE FROM metric_deltas`;
      await tx.$executeRaw`DELETE FROM metric_totals`;
      await tx.$executeRaw`INSERT INTO metric_totals (metric, labels, value) SELECT * FROM (${COUNTED}) AS c(metric, labels, value) WHERE c.value <> 0`;
    },
    { isolationLevel: 'RepeatableRead', timeout: 600_000 },
  );
}
