/**
 * The billing provider sees only idempotency keys; the charges table decides whether to call it
 * at all. Swapping in a real processor (Stripe and the like) means implementing this interface
 * with that client's own retries turned off, because Temporal is the one retry authority.
 */
export interface ChargeRequest {
  key: string;
  recordId: string;
  amountCents: number;
  currency: string;
}

export interface RefundRequest {
  key: string;
  chargeRef: string;
  recordId: string;
  amountCents: number;
  currency: string;
}

export interface BillingProvider {
  readonly name: string;
  charge(request: ChargeRequest): Promise<{ providerRef: string }>;
  refund(request: RefundRequest): Promise<{ providerRef: string }>;
}

/** The default: the PostgreSQL `charges` table is the ledger, so the provider only names entries. */
export function createLedgerBilling(): BillingProvider {
  return {
    name: 'ledger',
    charge: async ({ key }) => ({ providerRef: `ledger:${key}` }),
    refund: async ({ key }) => ({ providerRef: `ledger:${key}` }),
  };
}
