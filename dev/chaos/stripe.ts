/**
 * Stripe billing for a chaos run (`--billing stripe`): Stripe's own stripe-mock behind the recording
 * proxy, owned by the harness like the provider simulator, and what reached it counted per charge:
 * Stripe must have taken exactly one meter event per charge and one cancellation per refund, and
 * nothing for a key the ledger does not hold. Resends of a key already sent are counted apart: Stripe
 * deduplicates them, so they are allowed.
 */
import type { Violation } from '../../audit';
import { idempotencyKey } from '../../contract';
import type { Db } from '../../db/client';
import { startStripeMock } from '../stripe-mock';
import { startStripeProxy, type StripeRequestRecord } from '../stripe-proxy';
import { ofRun } from './sql';

export const CHAOS_STRIPE_CUSTOMER = 'cus_chaos';
const METER_EVENTS = '/v1/billing/meter_events';
const ADJUSTMENTS = '/v1/billing/meter_event_adjustments';

export interface ChaosStripe {
  /** The worker's settings for it (STRIPE_TIMEOUT_MS below the chaos STEP_TIMEOUT_MS). */
  env: Record<string, string>;
  requests(): StripeRequestRecord[];
  stop(): Promise<void>;
}

export async function startChaosStripe(log: (line: string) => void): Promise<ChaosStripe> {
  const mock = await startStripeMock((line) => log(`stripe-mock: ${line}`));
  const proxy = await startStripeProxy(mock.url).catch(async (err: unknown) => {
    await mock.stop();
    throw err;
  });
  return {
    env: { BILLING_PROVIDER: 'stripe', STRIPE_API_KEY: 'sk_test_chaos', STRIPE_METER_EVENT: 'inference_record', STRIPE_API_BASE: proxy.url, STRIPE_TIMEOUT_MS: '3000' },
    requests: () => proxy.requests(),
    stop: async () => {
      await proxy.close();
      await mock.stop();
    },
  };
}

interface WireCount {
  /** Requests that reached Stripe. */
  requests: number;
  /** Distinct keys Stripe acted on, each once. */
  taken: number;
  /** Requests for a key already sent: answered with the first answer (replayed) or refused while it was in flight. */
  replayed: number;
  refused: number;
}

export interface StripeCounts {
  meterEvents: WireCount;
  cancellations: WireCount;
  charges: number;
  refunds: number;
}

function count(requests: StripeRequestRecord[]): WireCount {
  const by = (outcome: StripeRequestRecord['outcome']) => requests.filter((r) => r.outcome === outcome).length;
  return { requests: requests.length, taken: by('taken'), replayed: by('replayed'), refused: by('refused') };
}

const takenPerKey = (requests: StripeRequestRecord[]): Map<string, number> => {
  const taken = new Map<string, number>();
  for (const r of requests) if (r.outcome === 'taken') taken.set(r.idempotencyKey ?? '', (taken.get(r.idempotencyKey ?? '') ?? 0) + 1);
  return taken;
};

/**
 * Each expected key taken once; a key still pending in the ledger at most once (its report may or may
 * not have reached Stripe); no other key at all.
 */
function mismatches(invariant: string, expected: Map<string, string>, pending: Set<string>, taken: Map<string, number>): Violation[] {
  const wrong = [...expected].flatMap(([key, recordId]) => (taken.get(key) === 1 ? [] : [{ invariant, recordId, detail: `${key} taken ${taken.get(key) ?? 0} times` }]));
  const stray = [...taken]
    .filter(([key, n]) => !expected.has(key) && !(pending.has(key) && n === 1))
    .map(([key, n]) => ({ invariant, recordId: '(none)', detail: `${key} taken ${n} times, ${pending.has(key) ? 'its charge still pending' : 'without a ledger row'}` }));
  return [...wrong, ...stray];
}

/** What reached Stripe against the run's ledger. */
export async function checkStripe(db: Db, idPrefix: string, requests: StripeRequestRecord[]): Promise<{ counts: StripeCounts; violations: Violation[] }> {
  const rows = await db.$queryRaw<Array<{ recordId: string; key: string; status: string }>>`
    SELECT record_id AS "recordId", idempotency_key AS key, status FROM charges WHERE ${ofRun(idPrefix, 'record_id')} AND billed_via = 'stripe'`;
  const reported = rows.filter((r) => r.status !== 'pending');
  const pending = new Set(rows.filter((r) => r.status === 'pending').map((r) => r.key));
  const charges = new Map(reported.map((r) => [r.key, r.recordId]));
  const refunds = new Map(reported.filter((r) => r.status === 'refunded').map((r) => [idempotencyKey.refund(r.recordId), r.recordId]));
  // The proxy serves only this run's stack, but a key names its record: keep to the run's own.
  const ours = (r: StripeRequestRecord) => r.idempotencyKey !== null && r.idempotencyKey.includes(idPrefix);
  const meterEvents = requests.filter((r) => r.path === METER_EVENTS && ours(r));
  const cancellations = requests.filter((r) => r.path === ADJUSTMENTS && ours(r));
  return {
    counts: { meterEvents: count(meterEvents), cancellations: count(cancellations), charges: charges.size, refunds: refunds.size },
    violations: [
      ...mismatches('one meter event per charge (Stripe)', charges, pending, takenPerKey(meterEvents)),
      ...mismatches('one cancellation per refund (Stripe)', refunds, new Set(), takenPerKey(cancellations)),
    ],
  };
}
