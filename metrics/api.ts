/**
 * The application metrics of DESIGN §6, served by the API's /metrics. Every value is read from
 * PostgreSQL at scrape time, so it is right whichever process did the work and survives restarts;
 * the per-call latency histograms come from the workers' Temporal metrics endpoint.
 *
 * Counting the tables at scrape time grows with them (over a second at a million records,
 * BENCHMARKS.md), so the totals are kept as rows change: each statement that changes what a metric
 * counts appends the change to metric_deltas (db/metrics.ts), and a scrape folds those into
 * metric_totals and reads the few rows there.
 */
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { RECORD_STATUSES } from '../contract';
import type { Db } from '../db/client';

export interface ApiMetricsDeps {
  db: Db;
  /** RECONCILE_QUIET_MS: how long a received/processing row may go without progress before it counts as stuck. */
  stuckAfterMs: number;
}

/** Concurrent callers share one run: the metrics that one query feeds read it once per scrape. */
function shared<T>(read: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | undefined;
  return () => (running ??= read().finally(() => (running = undefined)));
}

interface Total {
  metric: string;
  labels: Record<string, string>;
  value: number;
}

/** Deltas folded per statement: a bulk load's millions are folded in steps that each commit. */
const FOLD_BATCH = 10_000;

/**
 * Folds the deltas appended before this scrape into the totals, then reads the totals. Each batch
 * is one statement, so it commits whole or not at all, and a slow fold (after a bulk load) keeps
 * what it did even if the scrape is given up. Two API processes folding at once take each delta
 * once: the second one's DELETE waits for the first's rows and then finds them gone. Deltas
 * committed meanwhile stay for the next scrape.
 */
async function readTotals(db: Db): Promise<Total[]> {
  const [{ last } = { last: null }] = await db.$queryRaw<Array<{ last: bigint | null }>>`SELECT max(id) AS last FROM metric_deltas`;
  // Each batch starts past the previous one, not at the index's head, where the rows it just deleted still lie until vacuumed.
  for (let after = 0n, folded = FOLD_BATCH; last !== null && folded === FOLD_BATCH; ) {
    const [row] = await db.$queryRaw<Array<{ folded: number; upto: bigint | null }>>`
      WITH moved AS (
        DELETE FROM metric_deltas
        WHERE id IN (SELECT id FROM metric_deltas WHERE id > ${after} AND id <= ${last} ORDER BY id LIMIT ${FOLD_BATCH})
        RETURNING id, metric, labels, delta
      ), totals AS (
        INSERT INTO metric_totals (metric, labels, value)
        SELECT metric, labels, sum(delta) FROM moved GROUP BY metric, labels ORDER BY metric, labels
        ON CONFLICT (metric, labels) DO UPDATE SET value = metric_totals.value + excluded.value
      )
      SELECT count(*)::int AS folded, max(id) AS upto FROM moved`;
    folded = row?.folded ?? 0;
    after = row?.upto ?? after;
  }
  const rows = await db.metricTotal.findMany();
  // BIGINT: exact as a number up to 2^53.
  return rows.map((r) => ({ metric: r.metric, labels: JSON.parse(r.labels) as Record<string, string>, value: Number(r.value) }));
}

/** A counter whose value is a total kept in the database: reset, then set, on every scrape. */
function storedCounter(registry: Registry, name: string, help: string, labelNames: string[], totals: () => Promise<Total[]>) {
  return new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    async collect() {
      const rows = (await totals()).filter((t) => t.metric === name);
      this.reset();
      // In the order the metric declares its labels, whatever order jsonb stored them in.
      for (const { labels, value } of rows) this.inc(Object.fromEntries(labelNames.map((n) => [n, labels[n] ?? ''])), value);
    },
  });
}

export function createApiMetrics({ db, stuckAfterMs }: ApiMetricsDeps): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const totals = shared(() => readTotals(db));

  new Gauge({
    name: 'records_total',
    help: 'Records by status',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const rows = (await totals()).filter((t) => t.metric === 'records_total');
      for (const status of RECORD_STATUSES) this.set({ status }, rows.find((r) => r.labels.status === status)?.value ?? 0);
    },
  });
  new Gauge({
    name: 'records_stuck',
    help: 'Records received/processing whose row has shown no progress for RECONCILE_QUIET_MS (should be 0; the reconciler checks each against Temporal)',
    registers: [registry],
    async collect() {
      // An index range on (status, updated_at): only the open records are read.
      const [row] = await db.$queryRaw<Array<{ stuck: bigint }>>`
        SELECT count(*) AS stuck FROM records
        WHERE status IN ('received', 'processing') AND updated_at < now() - make_interval(secs => ${stuckAfterMs / 1000})`;
      this.set(Number(row?.stuck ?? 0));
    },
  });
  storedCounter(registry, 'charges_total', 'Charges made (one per record at most)', [], totals);
  storedCounter(registry, 'refunds_total', 'Charges refunded', [], totals);
  storedCounter(registry, 'duplicate_charges_prevented_total', 'Charge attempts that found the charge already made and billed nothing', [], totals);
  storedCounter(registry, 'model_calls_total', 'Model calls by provider and outcome', ['provider', 'outcome'], totals);
  storedCounter(registry, 'model_cost_micros_total', 'Model cost by provider, in millionths of the currency unit', ['provider'], totals);
  storedCounter(registry, 'results_total', 'Record results by the tier that served them (model, cache, rules)', ['tier'], totals);
  return registry;
}
