/**
 * Stripe Billing as the billing provider (DESIGN §11): a charge is a meter event, a refund cancels
 * it. Stripe deduplicates twice over, both keyed by the charge: the meter event's `identifier` (kept
 * 24 h) and the request's Idempotency-Key (a retry gets the first answer back).
 */
import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import Stripe from 'stripe';
import { FailureType } from '../contract';
import { retryAfterMs } from '../providers/errors';
import type { BillingProvider } from './index';

export interface StripeBillingSettings {
  apiKey: string;
  /** The meter's `event_name`. */
  meterEvent: string;
  /** Another endpoint (scheme, host, port), e.g. stripe-mock; undefined: Stripe itself. */
  apiBase: string | undefined;
  timeoutMs: number;
}

/** How long Stripe keeps a meter event's identifier, and so how long a re-sent charge is deduplicated. */
const STRIPE_DEDUP_WINDOW_MS = 24 * 60 * 60 * 1000;

const MAX_IDENTIFIER_LENGTH = 100;
// Every key starts with `charge-`, so a hashed identifier can never equal a verbatim one.
const HASHED_PREFIX = 'sha256:';

/** The charge's key, or its hash where the key is longer than Stripe's identifiers may be. */
function meterEventIdentifier(chargeKey: string): string {
  if (chargeKey.length <= MAX_IDENTIFIER_LENGTH) return chargeKey;
  return HASHED_PREFIX + createHash('sha256').update(chargeKey).digest('hex');
}

// Transient by HTTP semantics (409: the same Idempotency-Key is still in flight); any other 4xx
// is a request Stripe will refuse however often it is sent, unless Stripe says to retry it (a lock
// timeout). Its advice not to retry is not taken: a wrong "retry" costs attempts, a wrong "never"
// parks a record at once.
const RETRYABLE_4XX = new Set([408, 409, 429]);

function isRetryable(err: Stripe.errors.StripeError): boolean {
  const status = err.statusCode;
  return status === undefined || status >= 500 || RETRYABLE_4XX.has(status) || err.headers?.['stripe-should-retry'] === 'true';
}

function retryDelayMs(headers: Record<string, string> | undefined): number | null {
  const entries = Object.entries(headers ?? {}).filter((entry): entry is [string, string] => typeof entry[1] === 'string');
  return retryAfterMs(new Headers(entries));
}

/**
 * What Stripe said was wrong (its type, code, parameter and message), never what was sent. An
 * authentication error's message may quote the credentials (stripe-mock quotes the whole header),
 * so it is left out: the message lands in Temporal's history.
 */
function describe(err: Stripe.errors.StripeError): string {
  const status = err.statusCode === undefined ? 'no answer' : `HTTP ${err.statusCode}`;
  const kind = [err.rawType ?? err.type, err.code, err.param === undefined ? undefined : `param ${err.param}`].filter(Boolean).join(', ');
  const message = err.statusCode === 401 ? 'the API key (STRIPE_API_KEY) was not accepted' : err.message;
  return `${status} (${kind}): ${message}`;
}

function classify(err: unknown, action: string): ApplicationFailure {
  if (!(err instanceof Stripe.errors.StripeError)) {
    // Unknown failures retry: exhausting the budget parks the record for an operator, nothing is lost.
    const cause = err instanceof Error ? err : new Error(String(err));
    return ApplicationFailure.create({ type: FailureType.BillingUnavailable, message: `Stripe ${action}: unexpected error (${cause.message})`, cause });
  }
  const details = { httpStatus: err.statusCode ?? null, requestId: err.requestId ?? null, code: err.code ?? null };
  if (!isRetryable(err)) {
    return ApplicationFailure.create({ type: FailureType.BillingRejected, message: `Stripe refused ${action}: ${describe(err)}`, nonRetryable: true, details: [details], cause: err });
  }
  return ApplicationFailure.create({
    type: FailureType.BillingUnavailable,
    message: `Stripe ${action} failed: ${describe(err)}`,
    details: [details],
    cause: err,
    nextRetryDelay: retryDelayMs(err.headers) ?? undefined,
  });
}

function withoutCustomer(accountId: string, action: string): ApplicationFailure {
  return ApplicationFailure.create({
    type: FailureType.BillingRejected,
    message: `${action} for account ${accountId}: the account has no Stripe customer id (stripeCustomerId), so Stripe cannot bill it`,
    nonRetryable: true,
  });
}

function endpoint(apiBase: string | undefined): Pick<Stripe.StripeConfig, 'host' | 'port' | 'protocol'> {
  if (apiBase === undefined) return {};
  const url = new URL(apiBase);
  const protocol = url.protocol === 'http:' ? 'http' : 'https';
  // URL keeps an IPv6 host in brackets; a socket wants it bare.
  return { host: url.hostname.replace(/^\[(.*)\]$/, '$1'), port: url.port || (protocol === 'http' ? 80 : 443), protocol };
}

export function createStripeBilling(settings: StripeBillingSettings): BillingProvider {
  // Temporal is the one retry authority (DESIGN §4): the SDK's own retries would hide attempts.
  const stripe = new Stripe(settings.apiKey, { maxNetworkRetries: 0, timeout: settings.timeoutMs, ...endpoint(settings.apiBase) });
  const { meterEvent } = settings;

  return {
    name: 'stripe',
    reportsCharges: true,
    dedupWindowMs: STRIPE_DEDUP_WINDOW_MS,

    async charge({ key, accountId, customerId, amountCents }) {
      if (customerId === null) throw withoutCustomer(accountId, `charge ${key}`);
      const identifier = meterEventIdentifier(key);
      await stripe.billing.meterEvents
        .create({ event_name: meterEvent, identifier, payload: { stripe_customer_id: customerId, value: String(amountCents) } }, { idempotencyKey: key })
        .catch((err: unknown) => {
          throw classify(err, `meter event for ${key}`);
        });
      return { providerRef: `meter_event:${identifier}` };
    },

    async refund({ key, chargeKey }) {
      const identifier = meterEventIdentifier(chargeKey);
      await stripe.billing.meterEventAdjustments
        .create({ event_name: meterEvent, type: 'cancel', cancel: { identifier } }, { idempotencyKey: key })
        .catch((err: unknown) => {
          throw classify(err, `cancellation of the meter event for ${chargeKey}`);
        });
      return { providerRef: `meter_event_adjustment:${identifier}` };
    },
  };
}
