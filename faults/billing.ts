/**
 * The billing-provider decorator: with a provider that bills outside the ledger, a charge's `after`
 * fault fires once the provider has taken the charge and before the ledger marks it charged, the
 * most ambiguous moment of the outbox (DESIGN §4, §8). Without a provider call (the ledger bills by
 * itself, or a retry finds the row charged) it fires at the activity's end as any step's does.
 */
import type { BillingProvider } from '../billing';
import { dueAfterFault } from './activity-interceptors';

export function withBillingFaults(billing: BillingProvider): BillingProvider {
  return {
    ...billing,
    async charge(request) {
      const result = await billing.charge(request);
      await dueAfterFault.getStore()?.();
      return result;
    },
  };
}
