import type { BillingSettings } from '../config';
import { createLedgerBilling, type BillingProvider } from './index';
import type * as StripeModule from './stripe';

/**
 * The provider BILLING_PROVIDER names. Stripe's SDK is loaded only when it is the one: it costs a
 * worker about 17 MiB of memory that a ledger-billed deployment would keep for nothing.
 */
export function createBilling(settings: BillingSettings): BillingProvider {
  if (settings.provider === 'ledger') return createLedgerBilling();
  if (settings.stripe === undefined) throw new Error('BILLING_PROVIDER=stripe without its Stripe settings');
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on demand, see above
  const { createStripeBilling } = require('./stripe') as typeof StripeModule;
  return createStripeBilling(settings.stripe);
}
