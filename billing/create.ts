import type { BillingSettings } from '../config';
import { createLedgerBilling, type BillingProvider } from './index';
import { createStripeBilling } from './stripe';

/** The provider BILLING_PROVIDER names. */
export function createBilling(settings: BillingSettings): BillingProvider {
  if (settings.provider === 'ledger') return createLedgerBilling();
  if (settings.stripe === undefined) throw new Error('BILLING_PROVIDER=stripe without its Stripe settings');
  return createStripeBilling(settings.stripe);
}
