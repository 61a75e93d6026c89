/**
 * The cost of one /metrics scrape at scale (DESIGN §6: a scrape reads PostgreSQL only and stays
 * cheap at a million records). A scratch PostgreSQL is filled with generate_series: the records in
 * every status, their charges (some refunded, some with prevented duplicates), outputs, results in
 * the three tiers and model calls (a tenth with a failed attempt before the good one), then the
 * totals counted once from the tables, as the migration step does on a database that already holds
 * rows. Then the API's own metrics registry is scraped repeatedly with some traffic between scrapes
 * (each statement appending its deltas, as the product's statements do), and the totals are
 * checked against counting the tables.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createDb, type Db } from '../../db/client';
import { countEach, recountMetrics } from '../../db/metrics';
import { sql } from '../../db/sql';
import { createApiMetrics } from '../../metrics/api';
import { applyMigrations } from '../migrations';
import { startEmbeddedPostgres } from '../postgres';
import { freePort } from '../processes';

export interface MetricsScaleOptions {
  records: number;
  scrapes: number;
}

export interface ScrapeTimings {
  medianMs: number;
  p95Ms: number;
  maxMs: number;
}

export interface MetricsScaleResult {
  records: number;
  rows: Record<string, number>;
  fillSeconds: number;
  /** The first scrape: a cold connection pool and plan cache. */
  firstScrapeMs: number;
  /** Scrapes with traffic between them: TRAFFIC_PER_SCRAPE status changes and model calls each. */
  scrapes: ScrapeTimings;
  /** The scraped totals equal a count of the tables. */
  consistent: boolean;
}

type Log = (line: string) => void;

/** The records, every row derived from g, so a fill is the same every time; then one statement per table from them. */
const FILL_RECORDS = `INSERT INTO records (id, account_id, record_key, price_cents, currency, source, input, input_hash, status, step, attempts, created_at, updated_at)
   SELECT 'bench-' || g, 'default', 'bench-' || g, 5, 'usd', (ARRAY['api','upload','mllp'])[1 + g % 3],
          jsonb_build_object('text', 'Patient note ' || g), md5(g::text),
          CASE WHEN g % 1000 = 0 THEN 'received' WHEN g % 1000 = 1 THEN 'processing' WHEN g % 100 = 2 THEN 'needs_investigation'
               WHEN g % 100 = 3 THEN 'failed' ELSE 'completed' END,
          CASE WHEN g % 1000 = 1 OR g % 100 = 2 THEN 'inference' END, 1,
          now() - make_interval(secs => g), now() - make_interval(secs => g)
   FROM generate_series(1, $1::int) AS g`;
const FILL_FROM_RECORDS = [
  `INSERT INTO charges (id, record_id, idempotency_key, account_id, amount_cents, currency, status, billed_via, duplicate_attempts, created_at, charged_at)
   SELECT gen_random_uuid(), id, 'charge-' || id, 'default', 5, 'usd', CASE WHEN status = 'failed' THEN 'refunded' ELSE 'charged' END, 'ledger',
          CASE WHEN created_at::time < '00:10' THEN 1 ELSE 0 END, created_at, created_at
   FROM records WHERE status <> 'received'`,
  `INSERT INTO inference_outputs (id, record_id, idempotency_key, provider, model, output, output_hash, confidence, tier, created_at)
   SELECT gen_random_uuid(), id, 'infer-' || id, 'primary', 'model-2026-11-01', '{"label":"normal"}', md5(id), 0.9, 'model', created_at
   FROM records WHERE status = 'completed'`,
  `INSERT INTO record_results (id, record_id, source, tier, output, output_hash, confidence, created_at)
   SELECT gen_random_uuid(), id, t.tier, t.tier, '{"label":"normal"}', md5(id), 0.9, created_at
   FROM records, LATERAL (SELECT CASE WHEN length(id) % 7 = 0 THEN 'cache' WHEN length(id) % 11 = 0 THEN 'rules' ELSE 'model' END AS tier) t
   WHERE status = 'completed'`,
  `INSERT INTO model_calls (record_id, provider, model, attempt, outcome, http_status, started_at, latency_ms, tokens_in, tokens_out, cost_micros, created_at)
   SELECT id, CASE WHEN n = 1 AND right(id, 1) = '0' THEN 'primary' WHEN right(id, 1) = '0' THEN 'fallback' ELSE 'primary' END, 'model-2026-11-01', n,
          CASE WHEN n = 1 AND right(id, 1) = '0' THEN 'retryable' ELSE 'ok' END, CASE WHEN n = 1 AND right(id, 1) = '0' THEN 503 ELSE 200 END,
          created_at, 200, 120, 40, 150, created_at
   FROM records, generate_series(1, CASE WHEN right(id, 1) = '0' THEN 2 ELSE 1 END) AS n
   WHERE status <> 'received'`,
];

const TABLES = ['records', 'charges', 'inference_outputs', 'record_results', 'model_calls'];

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? NaN;
const round = (ms: number): number => Math.round(ms * 10) / 10;

async function timed(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}

/** What happens between two scrapes 15 s apart at about 40 records/s: records finish, models are called. */
const TRAFFIC_PER_SCRAPE = 200;
const TRAFFIC = [
  sql`
    WITH moved AS (
      UPDATE records SET status = 'completed', step = NULL, updated_at = now()
      WHERE id IN (SELECT id FROM records WHERE status = 'needs_investigation' LIMIT ${TRAFFIC_PER_SCRAPE})
      RETURNING 1
    ), moves AS (SELECT v.* FROM moved, (VALUES ('needs_investigation', -1), ('completed', 1)) AS v(status, delta)),
    ${countEach('counted', 'moves', 'records_total', sql`jsonb_build_object('status', status)`, sql`delta`)}
    SELECT 1`,
  sql`
    WITH call AS (
      INSERT INTO model_calls (record_id, provider, model, attempt, outcome, latency_ms, cost_micros)
      SELECT id, 'primary', 'model-2026-11-01', 2, 'ok', 200, 150 FROM records WHERE status = 'completed' LIMIT ${TRAFFIC_PER_SCRAPE}
      RETURNING provider, outcome, cost_micros
    ), ${countEach('counted', 'call', 'model_calls_total', sql`jsonb_build_object('provider', provider, 'outcome', outcome)`)},
    ${countEach('costed', 'call', 'model_cost_micros_total', sql`jsonb_build_object('provider', provider)`, sql`cost_micros`)}
    SELECT 1`,
];

/** The metrics as counting the tables says they should be, in the registry's text format. */
const COUNTED = `
  SELECT 'records_total{status="' || status || '"} ' || count(*) FROM records GROUP BY status
  UNION ALL SELECT 'charges_total ' || count(*) FROM charges
  UNION ALL SELECT 'refunds_total ' || count(*) FILTER (WHERE status = 'refunded') FROM charges
  UNION ALL SELECT 'duplicate_charges_prevented_total ' || sum(duplicate_attempts) FROM charges
  UNION ALL SELECT 'model_calls_total{provider="' || provider || '",outcome="' || outcome || '"} ' || count(*) FROM model_calls GROUP BY provider, outcome
  UNION ALL SELECT 'model_cost_micros_total{provider="' || provider || '"} ' || sum(cost_micros) FROM model_calls GROUP BY provider
  UNION ALL SELECT 'results_total{tier="' || tier || '"} ' || count(*) FROM record_results GROUP BY tier`;

async function consistent(db: Db, scraped: string): Promise<boolean> {
  const lines = new Set(scraped.split('\n'));
  const expected = await db.$queryRawUnsafe<Array<{ line: string }>>(`SELECT line FROM (${COUNTED}) AS counted(line)`);
  return expected.every(({ line }) => lines.has(line));
}

export async function measureMetricsScale({ records, scrapes }: MetricsScaleOptions, log: Log): Promise<MetricsScaleResult> {
  const dir = await mkdtemp(path.join(tmpdir(), 'bench-metrics-'));
  const pg = await startEmbeddedPostgres({ dataDir: path.join(dir, 'postgres'), port: await freePort() });
  const db = createDb(pg.connectionString);
  try {
    await applyMigrations(pg.connectionString);
    log(`filling ${records.toLocaleString('en')} records and their rows`);
    const started = performance.now();
    await db.$executeRawUnsafe(FILL_RECORDS, records);
    for (const sql of FILL_FROM_RECORDS) await db.$executeRawUnsafe(sql);
    await recountMetrics(db);
    await db.$executeRawUnsafe('VACUUM ANALYZE');
    const fillSeconds = Math.round((performance.now() - started) / 100) / 10;
    const rows: Record<string, number> = {};
    for (const table of TABLES) rows[table] = Number((await db.$queryRawUnsafe<Array<{ n: bigint }>>(`SELECT count(*) AS n FROM ${table}`))[0]?.n);
    log(`filled in ${fillSeconds} s: ${JSON.stringify(rows)}`);
    const registry = createApiMetrics({ db, stuckAfterMs: 60_000 });
    const firstScrapeMs = round(await timed(() => registry.metrics()));
    log(`first scrape: ${firstScrapeMs} ms`);
    const times: number[] = [];
    for (let i = 0; i < scrapes; i += 1) {
      for (const sql of TRAFFIC) await db.$executeRaw(sql);
      times.push(await timed(() => registry.metrics()));
    }
    times.sort((a, b) => a - b);
    const timings = { medianMs: round(percentile(times, 0.5)), p95Ms: round(percentile(times, 0.95)), maxMs: round(times.at(-1) ?? NaN) };
    log(`${scrapes} scrapes with traffic between them: ${JSON.stringify(timings)}`);
    const ok = await consistent(db, await registry.metrics());
    log(ok ? 'the scraped totals equal a count of the tables' : 'THE SCRAPED TOTALS DIFFER FROM A COUNT OF THE TABLES');
    return { records, rows, fillSeconds, firstScrapeMs, scrapes: timings, consistent: ok };
  } finally {
    await db.$disconnect();
    await pg.stop();
    await rm(dir, { recursive: true, force: true });
  }
}
