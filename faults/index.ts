/**
 * Fault injection (DESIGN G6, §8) as a layer over the real pipeline. Ingest carries a record's plan
 * in its workflow's memo (ingest.ts); a workflow interceptor, bundled with the workflows, hands each
 * activity its faults in a header (workflow-interceptors.ts); on a worker with the layer installed
 * an activity interceptor carries them out (activity-interceptors.ts), a provider-client
 * decorator asks the real provider endpoint to serve provider faults (provider-clients.ts), and a
 * billing decorator moves a charge's `after` fault to just after the provider took it (billing.ts).
 * The activities, the workflow, the provider clients and the billing providers know nothing of it.
 */
import type { ActivityInterceptorsFactory } from '@temporalio/worker';
import type { BillingProvider } from '../billing';
import type { ProviderClient } from '../providers/types';
import { faultInjectingInterceptors, planIgnoringInterceptors } from './activity-interceptors';
import { withBillingFaults } from './billing';
import type { FaultHooks } from './hooks';
import { withProviderFaults } from './provider-clients';

export type { FaultHooks } from './hooks';
export { processFaultHooks } from './hooks';

export interface WorkerFaultLayer {
  activityInterceptors: ActivityInterceptorsFactory[];
  decorateProvider: (client: ProviderClient) => ProviderClient;
  decorateBilling: (billing: BillingProvider) => BillingProvider;
}

/** What a worker installs: the layer where FAULT_INJECTION is enabled, else only the notice that plans are ignored. */
export function workerFaultLayer(enabled: boolean, hooks: FaultHooks): WorkerFaultLayer {
  if (!enabled) return { activityInterceptors: [planIgnoringInterceptors()], decorateProvider: (client) => client, decorateBilling: (billing) => billing };
  return { activityInterceptors: [faultInjectingInterceptors(hooks)], decorateProvider: withProviderFaults, decorateBilling: withBillingFaults };
}
