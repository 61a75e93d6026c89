/**
 * The Stripe billing provider through the real `stripe` SDK against Stripe's own stripe-mock, with
 * the recording proxy in front for what stripe-mock cannot do (idempotent replays, unknown
 * customers, rate limits, a slow network).
 */
import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import type { BillingProvider, ChargeRequest } from '../billing';
import { createBilling } from '../billing/create';
import { loadConfig } from '../config';
import { FailureType, globalIdOf, idempotencyKey } from '../contract';
import { startStripeMock, type StripeMock } from '../dev/stripe-mock';
import { startStripeProxy, type StripeProxy } from '../dev/stripe-proxy';

const METER_EVENT = 'inference_record';
const quiet = (): void => undefined;

let mock: StripeMock;
let proxy: StripeProxy;

// A cold cache builds stripe-mock from source first.
beforeAll(async () => {
  mock = await startStripeMock(quiet);
  proxy = await startStripeProxy(mock.url);
}, 300_000);

afterAll(async () => {
  await proxy?.close();
  await mock?.stop();
});

function stripeBilling(apiBase: string, env: NodeJS.ProcessEnv = {}): BillingProvider {
  const config = loadConfig({ NODE_ENV: 'development', BILLING_PROVIDER: 'stripe', STRIPE_API_KEY: 'sk_test_123', STRIPE_METER_EVENT: METER_EVENT, STRIPE_API_BASE: apiBase, ...env });
  return createBilling(config.billing);
}

function chargeOf(id: string, customerId: string | null = 'cus_alpha', amountCents = 7): ChargeRequest {
  return { key: idempotencyKey.charge(id), recordId: id, accountId: 'default', customerId, amountCents, currency: 'usd' };
}

function refundOf(id: string): Parameters<BillingProvider['refund']>[0] {
  const charge = chargeOf(id);
  return { ...charge, key: idempotencyKey.refund(id), chargeKey: charge.key, chargeRef: null };
}

const sentWith = (key: string) => proxy.requests().filter((r) => r.idempotencyKey === key);
const takenWith = (key: string) => proxy.taken().filter((r) => r.idempotencyKey === key);

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof ApplicationFailure)) throw new Error(`expected an ApplicationFailure, got ${String(err)}`);
  return err;
}

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not reached within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('charging through Stripe Billing', () => {
  it('reports a charge as one meter event keyed by the charge', async () => {
    const billing = stripeBilling(proxy.url);
    expect(billing).toMatchObject({ name: 'stripe', dedupWindowMs: 24 * 60 * 60 * 1000 });
    await expect(billing.charge(chargeOf('r-one'))).resolves.toEqual({ providerRef: 'meter_event:charge-r-one' });
    expect(sentWith('charge-r-one')).toEqual([
      {
        method: 'POST',
        path: '/v1/billing/meter_events',
        idempotencyKey: 'charge-r-one',
        identifier: 'charge-r-one',
        customerId: 'cus_alpha',
        value: '7',
        outcome: 'taken',
        status: 200,
      },
    ]);
  });

  it('sends a retried charge with the same identifier and key, and Stripe takes it once', async () => {
    const billing = stripeBilling(proxy.url);
    const first = await billing.charge(chargeOf('r-retry'));
    const second = await billing.charge(chargeOf('r-retry'));
    expect(second).toEqual(first);
    const sent = sentWith('charge-r-retry');
    expect(sent.map((r) => [r.identifier, r.outcome])).toEqual([
      ['charge-r-retry', 'taken'],
      ['charge-r-retry', 'replayed'],
    ]);
    expect(takenWith('charge-r-retry')).toHaveLength(1);
  });

  it('hashes a key longer than an identifier may be, and cancels by the same hash', async () => {
    const id = globalIdOf('a'.repeat(64), 'r'.repeat(128));
    const key = idempotencyKey.charge(id);
    const identifier = `sha256:${createHash('sha256').update(key).digest('hex')}`;
    const billing = stripeBilling(proxy.url);
    await billing.charge(chargeOf(id));
    await billing.refund(refundOf(id));
    expect(identifier.length).toBeLessThanOrEqual(100);
    // The Idempotency-Key may be longer (up to 255): it is the key itself, as DESIGN G2 promises.
    expect(sentWith(key).map((r) => [r.path, r.identifier])).toEqual([['/v1/billing/meter_events', identifier]]);
    expect(sentWith(idempotencyKey.refund(id)).map((r) => [r.path, r.identifier])).toEqual([['/v1/billing/meter_event_adjustments', identifier]]);
  });

  it('refunds by cancelling the meter event, once however often it is asked', async () => {
    const billing = stripeBilling(proxy.url);
    await billing.charge(chargeOf('r-refund'));
    const refund = await billing.refund(refundOf('r-refund'));
    await billing.refund(refundOf('r-refund'));
    expect(refund).toEqual({ providerRef: 'meter_event_adjustment:charge-r-refund' });
    expect(sentWith('refund-r-refund').map((r) => [r.method, r.path, r.identifier, r.outcome])).toEqual([
      ['POST', '/v1/billing/meter_event_adjustments', 'charge-r-refund', 'taken'],
      ['POST', '/v1/billing/meter_event_adjustments', 'charge-r-refund', 'replayed'],
    ]);
  });
});

describe('what Stripe refuses, and what may be retried', () => {
  it('rejects a customer Stripe does not know, for good, and nothing is taken', async () => {
    proxy.rejectCustomer('cus_gone');
    const failure = await failureOf(stripeBilling(proxy.url).charge(chargeOf('r-unknown', 'cus_gone')));
    expect(failure).toMatchObject({ type: FailureType.BillingRejected, nonRetryable: true });
    expect(failure.message).toContain('HTTP 400 (invalid_request_error, resource_missing, param payload[stripe_customer_id])');
    expect(failure.message).not.toMatch(/event_name|payload\[value\]/);
    expect(sentWith('charge-r-unknown').map((r) => [r.outcome, r.status])).toEqual([['refused', 400]]);
    expect(takenWith('charge-r-unknown')).toEqual([]);
  });

  it('rejects an account without a Stripe customer before calling Stripe', async () => {
    const failure = await failureOf(stripeBilling(proxy.url).charge(chargeOf('r-nocustomer', null)));
    expect(failure).toMatchObject({ type: FailureType.BillingRejected, nonRetryable: true });
    expect(failure.message).toMatch(/account default: the account has no Stripe customer id/);
    expect(sentWith('charge-r-nocustomer')).toEqual([]);
  });

  it('rejects an API key stripe-mock does not accept for good, without quoting it', async () => {
    const key = 'not-a-key';
    const failure = await failureOf(stripeBilling(proxy.url, { STRIPE_API_KEY: key }).charge(chargeOf('r-badkey')));
    expect(failure).toMatchObject({ type: FailureType.BillingRejected, nonRetryable: true });
    expect(failure.message).toContain('HTTP 401 (invalid_request_error): the API key (STRIPE_API_KEY) was not accepted');
    // stripe-mock's own message quotes the Authorization header, which carries the key in base64.
    expect(failure.message).not.toContain(key);
    expect(failure.message).not.toContain(Buffer.from(key).toString('base64').slice(0, 8));
  });

  it('retries when stripe-mock is down', async () => {
    const down = await startStripeMock(quiet);
    await down.stop();
    const failure = await failureOf(stripeBilling(down.url).charge(chargeOf('r-down')));
    expect(failure).toMatchObject({ type: FailureType.BillingUnavailable, nonRetryable: false });
    expect(failure.message).toContain('no answer');
  }, 60_000);

  it.each([
    [429, 2, 2000],
    [503, undefined, undefined],
  ] as const)('retries HTTP %i, after Retry-After where Stripe gives one', async (status, retryAfterSeconds, delay) => {
    proxy.injectNext({ status, retryAfterSeconds });
    const failure = await failureOf(stripeBilling(proxy.url).charge(chargeOf(`r-${status}`)));
    expect(failure).toMatchObject({ type: FailureType.BillingUnavailable, nonRetryable: false });
    expect(failure.message).toContain(`HTTP ${status}`);
    expect(failure.nextRetryDelay).toBe(delay);
    expect(takenWith(`charge-r-${status}`)).toEqual([]);
  });

  it('retries a timeout, and the retry of a charge Stripe took meanwhile is a replay', async () => {
    const billing = stripeBilling(proxy.url, { STRIPE_TIMEOUT_MS: '300' });
    proxy.injectNext({ delayMs: 1_000 });
    const failure = await failureOf(billing.charge(chargeOf('r-slow')));
    expect(failure).toMatchObject({ type: FailureType.BillingUnavailable, nonRetryable: false });
    expect(failure.message).toMatch(/timeout/);
    await until(() => takenWith('charge-r-slow').length === 1, 10_000);
    await billing.charge(chargeOf('r-slow'));
    expect(sentWith('charge-r-slow').map((r) => r.outcome)).toEqual(['taken', 'replayed']);
  });
});

describe('Stripe settings', () => {
  it('takes an endpoint as scheme, host and port only, and a timeout below the step timeout', () => {
    expect(() => stripeBilling('http://127.0.0.1:12111/v1')).toThrow(/STRIPE_API_BASE.*scheme, host and port only/);
    expect(() => stripeBilling('http://127.0.0.1:12111', { STRIPE_TIMEOUT_MS: '30000' })).toThrow(/below STEP_TIMEOUT_MS/);
  });
});
