/**
 * The billing provider behind the ledger (DESIGN §4, §11). The `charges` table decides whether to
 * call it at all and is its outbox: a charge is committed `pending`, reported here outside any
 * transaction with its idempotency key, then marked `charged`. Implementations run their client's
 * own retries off, because Temporal is the one retry authority; they throw an ApplicationFailure of
 * type BillingRejected (retrying cannot help) or BillingUnavailable (retry with backoff).
 */
export interface ChargeRequest {
  /** `charge-<global id>`: the provider deduplicates on it. */
  key: string;
  recordId: string;
  accountId: string;
  /** The account's customer at the provider (Stripe's `cus_…`); null where the account has none. */
  customerId: string | null;
  amountCents: number;
  currency: string;
}

export interface RefundRequest {
  /** `refund-<global id>`. */
  key: string;
  /** The charge's own key, which the provider knows the charge by. */
  chargeKey: string;
  chargeRef: string | null;
  recordId: string;
  accountId: string;
  customerId: string | null;
  amountCents: number;
  currency: string;
}

export interface BillingProvider {
  /** Written on each charge row (billed_via): which provider a pending charge is reported to. */
  readonly name: string;
  /** False where the ledger row is the whole bill: the charge is written `charged` and nothing is called. */
  readonly reportsCharges: boolean;
  /**
   * How long the provider deduplicates a key; null: forever, or no provider to send to (the ledger).
   * A charge still pending past it is never re-sent: the record is parked instead.
   */
  readonly dedupWindowMs: number | null;
  charge(request: ChargeRequest): Promise<{ providerRef: string }>;
  refund(request: RefundRequest): Promise<{ providerRef: string }>;
}

/** The default: the PostgreSQL ledger is the whole bill, so there is nothing to report a charge to. */
export function createLedgerBilling(): BillingProvider {
  return {
    name: 'ledger',
    reportsCharges: false,
    dedupWindowMs: null,
    charge: async ({ key }) => ({ providerRef: `ledger:${key}` }),
    refund: async ({ key }) => ({ providerRef: `ledger:${key}` }),
  };
}
