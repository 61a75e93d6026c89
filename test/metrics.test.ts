/** /metrics after a few records with faults: every metric DESIGN §6 names, with the right values, behind METRICS_TOKEN. */
import { recountMetrics } from '../db/metrics';
import { createApiMetrics } from '../metrics/api';
import { migratedDatabase } from './support/database';
import { get, post, result, submit, uniqueId, waitForStatus } from './support/records';
import { startStack, type Stack } from './support/stack';

const METRICS_TOKEN = 'metrics-token-for-the-test';
let stack: Stack;
let drop: () => Promise<void>;
beforeAll(async () => {
  // Totals are asserted exactly, so this file has a database of its own.
  const database = await migratedDatabase(`metrics_test_${process.pid}`);
  drop = database.drop;
  stack = await startStack({ databaseUrl: database.url, settings: { BREAKER_FAILURE_THRESHOLD: '1000', METRICS_TOKEN } });
});
afterAll(async () => {
  await stack?.stop();
  await drop?.();
});

async function scrape(): Promise<Map<string, number>> {
  const res = await fetch(`${stack.baseUrl}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
  expect(res.status).toBe(200);
  const lines = (await res.text()).split('\n').filter((l) => l && !l.startsWith('#'));
  return new Map(lines.map((l) => [l.slice(0, l.lastIndexOf(' ')), Number(l.slice(l.lastIndexOf(' ') + 1))]));
}

it('counts records by status, charges, prevented duplicate charges, model calls and stuck records', async () => {
  const clean = uniqueId('m-clean');
  const chargeAfter = uniqueId('m-charge-after');
  const flaky = uniqueId('m-flaky');
  const parked = uniqueId('m-parked');
  await submit(stack, clean, 'Clean.');
  await submit(stack, chargeAfter, 'Charge then lose the attempt.', { faults: [{ step: 'charge', when: 'after', times: 1 }] });
  await submit(stack, flaky, 'Primary flaky.', { faults: [{ provider: 'primary', status: 503, times: 2 }] });
  await submit(stack, parked, 'Parked then abandoned.', { faults: [{ step: 'persist', when: 'before', times: 50 }] });
  await Promise.all([clean, chargeAfter, flaky].map((id) => result(stack, id)));
  await waitForStatus(stack, parked, 'needs_investigation');
  expect((await get(stack, `/v1/records/${parked}`)).body.status).toBe('needs_investigation');

  const parkedMetrics = await scrape();
  expect(parkedMetrics.get('records_total{status="completed"}')).toBe(3);
  expect(parkedMetrics.get('records_total{status="needs_investigation"}')).toBe(1);

  await post(stack, `/v1/records/${parked}/resolve`, { action: 'abandon', reason: 'metrics test' });
  await result(stack, parked);
  const metrics = await scrape();
  expect(Object.fromEntries([...metrics].filter(([k]) => /^(records_|charges_|refunds_|duplicate_|model_calls_)/.test(k)))).toEqual({
    'records_total{status="received"}': 0,
    'records_total{status="processing"}': 0,
    'records_total{status="completed"}': 3,
    'records_total{status="needs_investigation"}': 0,
    'records_total{status="failed"}': 1,
    charges_total: 4,
    refunds_total: 1,
    duplicate_charges_prevented_total: 1,
    'model_calls_total{provider="primary",outcome="ok"}': 4,
    'model_calls_total{provider="primary",outcome="retryable"}': 2,
    records_stuck: 0,
  });
});

it('counts rows written before the totals existed once, from the tables: cost by provider, results by tier', async () => {
  const id = uniqueId('m-cost');
  await stack.db.$executeRaw`
    INSERT INTO records (id, source, input, input_hash, status, created_at, updated_at)
    VALUES (${id}, 'api', '{"text":"priced"}'::jsonb, 'x', 'completed', now(), now())`;
  await stack.db.modelCall.createMany({
    data: [1_234, 766].map((costMicros, i) => ({ recordId: id, provider: 'priced', model: 'm', attempt: i + 1, outcome: 'ok', latencyMs: 1, costMicros })),
  });
  await stack.db.recordResult.create({ data: { recordId: id, source: 'rules', tier: 'rules', output: {}, outputHash: 'x', confidence: 0.3 } });
  const before = await scrape();
  expect(before.get('model_calls_total{provider="priced",outcome="ok"}')).toBeUndefined();
  await recountMetrics(stack.db);
  const metrics = await scrape();
  expect(metrics.get('model_cost_micros_total{provider="priced"}')).toBe(2_000);
  expect(metrics.get('model_calls_total{provider="priced",outcome="ok"}')).toBe(2);
  expect(metrics.get('results_total{tier="rules"}')).toBe(1);
  expect(metrics.get('records_total{status="completed"}')).toBe((before.get('records_total{status="completed"}') ?? NaN) + 1);
  expect(metrics.get('charges_total')).toBe(before.get('charges_total'));
});

it('folds a bulk load of deltas in batches, exactly once, while two API processes scrape at once', async () => {
  // The deltas of 25,000 calls: 50,000 rows, several folding batches.
  await stack.db.$executeRaw`
    INSERT INTO metric_deltas (metric, labels, delta)
    SELECT 'model_calls_total', jsonb_build_object('provider', 'bulk', 'outcome', 'ok')::text, 1 FROM generate_series(1, 25000)
    UNION ALL SELECT 'model_cost_micros_total', jsonb_build_object('provider', 'bulk')::text, 2 FROM generate_series(1, 25000)`;
  const scrapers = [createApiMetrics({ db: stack.db, stuckAfterMs: 60_000 }), createApiMetrics({ db: stack.db, stuckAfterMs: 60_000 })];
  const texts = await Promise.all(scrapers.map((registry) => registry.metrics()));
  const again = await scrapers[0]?.metrics();
  // A scrape that meets the other's fold reports what that fold has committed so far, never a delta twice.
  for (const text of texts) {
    const seen = Number(/^model_calls_total\{provider="bulk",outcome="ok"\} (\d+)$/m.exec(text)?.[1] ?? NaN);
    expect(seen).toBeGreaterThan(0);
    expect(seen).toBeLessThanOrEqual(25_000);
  }
  expect(again).toContain('model_calls_total{provider="bulk",outcome="ok"} 25000');
  expect(again).toContain('model_cost_micros_total{provider="bulk"} 50000');
  expect(await stack.db.metricDelta.count()).toBe(0);
});

it('answers 401 without the METRICS_TOKEN bearer, or with another', async () => {
  const attempts: Array<Record<string, string>> = [{}, { authorization: 'Bearer not-the-metrics-token' }, { authorization: METRICS_TOKEN }];
  for (const headers of attempts) {
    const res = await fetch(`${stack.baseUrl}/metrics`, { headers });
    expect(res.status).toBe(401);
    expect(await res.text()).not.toContain('records_total');
  }
});

it('reports a record left processing with no workflow as stuck', async () => {
  const id = uniqueId('m-stuck');
  await stack.db.$executeRaw`
    INSERT INTO records (id, source, input, input_hash, status, step, created_at, updated_at)
    VALUES (${id}, 'api', '{"text":"orphan"}'::jsonb, 'x', 'processing', 'charge', now() - interval '5 minutes', now() - interval '5 minutes')`;
  expect((await scrape()).get('records_stuck')).toBe(1);
});
