/**
 * Stripe billing under worker kills, counted at the wire (issue 13): real worker processes bill
 * through the real `stripe` SDK to stripe-mock behind the recording proxy, and are killed around
 * the provider call. Whatever the kills, each record's meter events carry one identifier, its
 * charge key; Stripe takes each identifier once (resends are replays, allowed: Stripe deduplicates
 * them); and the ledger holds one charge per record, charged through Stripe.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { globalIdOf, idempotencyKey, workflowIdFor, type RecordStatusView, type StepFault } from '../contract';
import { createDb, type Db } from '../db/client';
import type { Supervised } from '../dev/processes';
import { startWorkerProcess } from './support/product-processes';
import { startSimulator, type Simulator } from '../dev/simulator';
import { startStripeMock, type StripeMock } from '../dev/stripe-mock';
import { startStripeProxy, type StripeProxy, type StripeRequestRecord } from '../dev/stripe-proxy';
import { createIngest } from '../ingest';
import { ingestSettings } from '../ingest/settings';
import { uniqueAccount } from './support/accounts';
import { uniqueId } from './support/records';
import { requiredEnv, startTemporal, testConfig } from './support/stack';

const WORKERS = 2;
const PRICE_CENTS = 9;
const CUSTOMER = 'cus_kills';
const METER_EVENT_PATH = '/v1/billing/meter_events';
// The SDK gives up on Stripe well inside the step's timeout, as the configuration demands.
const settings = { STEP_TIMEOUT_MS: '2000', STRIPE_TIMEOUT_MS: '1000', RETRY_INITIAL_INTERVAL_MS: '20', RETRY_MAXIMUM_INTERVAL_MS: '100', RETRY_MAXIMUM_ATTEMPTS: '10', LOG_LEVEL: 'warn' };
const stripeSettings = { BILLING_PROVIDER: 'stripe', STRIPE_API_KEY: 'sk_test_123', STRIPE_METER_EVENT: 'inference_record' };

/**
 * What each record's plan does at charge, and how many meter event requests it sends at least. A kill
 * also ends whatever else that worker was doing, so any record may send more: never another identifier.
 */
const CASES: Array<{ label: string; count: number; faults: StepFault[]; sendsAtLeast: number }> = [
  // Killed after the meter event was sent, before the row became charged: the retry resends it.
  { label: 'crash-after', count: 8, faults: [{ step: 'charge', when: 'after', kind: 'crash', times: 1 }], sendsAtLeast: 2 },
  { label: 'crash-after-twice', count: 2, faults: [{ step: 'charge', when: 'after', kind: 'crash', times: 2 }], sendsAtLeast: 3 },
  // Killed before the charge row exists: nothing was sent yet.
  { label: 'crash-before', count: 4, faults: [{ step: 'charge', when: 'before', kind: 'crash', times: 1 }], sendsAtLeast: 1 },
  // The attempt hangs past its timeout, or fails, after Stripe took the event; the next attempts resend it.
  { label: 'timeout-after', count: 6, faults: [{ step: 'charge', when: 'after', kind: 'timeout', times: 1 }], sendsAtLeast: 2 },
  { label: 'error-after', count: 4, faults: [{ step: 'charge', when: 'after', kind: 'error', times: 2 }], sendsAtLeast: 3 },
  { label: 'plain', count: 16, faults: [], sendsAtLeast: 1 },
];
const CRASHES = CASES.reduce((sum, c) => sum + c.count * c.faults.filter((f) => f.kind === 'crash').reduce((n, f) => n + f.times, 0), 0);

let env: TestWorkflowEnvironment;
let simulator: Simulator;
let mock: StripeMock;
let proxy: StripeProxy;
let db: Db;
let workers: Supervised[] = [];

beforeAll(async () => {
  [env, simulator, mock] = await Promise.all([startTemporal(), startSimulator({ port: 0 }), startStripeMock(() => undefined)]);
  proxy = await startStripeProxy(mock.url);
  db = createDb(requiredEnv('DATABASE_URL'));
  workers = Array.from({ length: WORKERS }, (_, i) =>
    startWorkerProcess({
      name: `worker-${i + 1}`,
      temporalAddress: env.address,
      simulatorPort: simulator.port,
      env: { ...settings, ...stripeSettings, STRIPE_API_BASE: proxy.url },
    }),
  );
}, 300_000);

afterAll(async () => {
  await Promise.all(workers.map((w) => w.stop()));
  await env?.teardown();
  await simulator?.close();
  await proxy?.close();
  await mock?.stop();
  await db?.$disconnect();
});

function byIdentifier(requests: StripeRequestRecord[]): Map<string, StripeRequestRecord[]> {
  const grouped = new Map<string, StripeRequestRecord[]>();
  for (const r of requests) grouped.set(r.identifier ?? '(none)', [...(grouped.get(r.identifier ?? '(none)') ?? []), r]);
  return grouped;
}

it('under worker kills around the Stripe call, every record is one identifier Stripe takes once, and one charge', async () => {
  const account = uniqueAccount('kills');
  await db.account.create({ data: { id: account, name: account, priceCents: PRICE_CENTS, stripeCustomerId: CUSTOMER } });
  const ingest = createIngest(ingestSettings(testConfig(simulator.port, { ...settings, ...stripeSettings, STRIPE_API_BASE: proxy.url }), db, env.client));
  const restartsBefore = workers.reduce((sum, w) => sum + w.restarts(), 0);

  const records = CASES.flatMap((c) => Array.from({ length: c.count }, () => ({ ...c, id: uniqueId(c.label) })));
  for (const r of records) {
    const outcome = await ingest('api', { id: r.id, input: { text: 'Sodium 140 mmol/L.' }, ...(r.faults.length ? { simulate: { faults: r.faults } } : {}) }, account);
    expect(outcome).toMatchObject({ outcome: 'accepted' });
  }
  const views = await Promise.all(records.map((r) => env.client.workflow.getHandle(workflowIdFor(globalIdOf(account, r.id))).result() as Promise<RecordStatusView>));
  expect(views.map((v) => v.status)).toEqual(records.map(() => 'completed'));
  // Each crash is in its record's trail; crashes due together in one process end it once.
  const crashed = await db.$queryRaw<Array<{ n: number }>>`
    SELECT count(*)::int AS n FROM record_events WHERE record_id LIKE ${`${account}/%`} AND detail ? 'injectedCrash'`;
  expect(crashed[0]?.n).toBe(CRASHES);
  const kills = workers.reduce((sum, w) => sum + w.restarts(), 0) - restartsBefore;
  expect(kills).toBeGreaterThanOrEqual(1);

  const keys = new Map(records.map((r) => [idempotencyKey.charge(globalIdOf(account, r.id)), r]));
  const meterEvents = proxy.requests().filter((r) => r.path === METER_EVENT_PATH && r.customerId === CUSTOMER);
  const sentBy = byIdentifier(meterEvents);
  // Every identifier on the wire is one record's charge key, and every record's key is on the wire.
  expect([...sentBy.keys()].sort()).toEqual([...keys.keys()].sort());
  for (const [identifier, sent] of sentBy) {
    const record = keys.get(identifier);
    // Each request of a record carries that record's one identifier, as its Idempotency-Key too.
    expect({ identifier, keys: [...new Set(sent.map((s) => s.idempotencyKey))], values: [...new Set(sent.map((s) => s.value))] }).toEqual({
      identifier,
      keys: [identifier],
      values: [String(PRICE_CENTS)],
    });
    // Stripe took the first; every later one was a replay, or refused while an earlier one was in flight.
    const [first, ...resent] = sent.map((r) => `${r.outcome} ${r.status}`);
    expect({ identifier, first, resent: [...new Set(resent)].filter((o) => o !== 'replayed 200' && o !== 'refused 409') }).toEqual({ identifier, first: 'taken 200', resent: [] });
    expect({ identifier, case: record?.label, atLeast: sent.length >= (record?.sendsAtLeast ?? Infinity) }).toEqual({ identifier, case: record?.label, atLeast: true });
  }

  const charges = await db.charge.findMany({ where: { accountId: account } });
  expect(charges.map((c) => ({ key: c.idempotencyKey, status: c.status, billedVia: c.billedVia, amountCents: c.amountCents })).sort((a, b) => a.key.localeCompare(b.key))).toEqual(
    [...keys.keys()].sort().map((key) => ({ key, status: 'charged', billedVia: 'stripe', amountCents: PRICE_CENTS })),
  );

  const resends = meterEvents.length - sentBy.size;
  process.stdout.write(
    `[stripe-kills] ${records.length} records, ${CRASHES} crashes in ${kills} worker kills: ${meterEvents.length} meter event requests, ${sentBy.size} identifiers each taken once, ` +
      `${resends} resends of an identifier already sent (${meterEvents.filter((r) => r.outcome === 'replayed').length} replayed, ${meterEvents.filter((r) => r.outcome === 'refused').length} refused)\n`,
  );
}, 600_000);
