/** The production parts the activities run on, from configuration. */
import { Runtime } from '@temporalio/worker';
import type { Logger } from 'pino';
import type { ActivityDeps } from '../activities';
import type { BillingProvider } from '../billing';
import { createBilling } from '../billing/create';
import type { AppConfig } from '../config';
import type { SqlClient } from '../db/sql';
import { createCircuitBreakers, type BreakerState, type CircuitBreakers } from '../providers/breaker';
import { createProviderClients } from '../providers/registry';
import type { ProviderClient } from '../providers/types';

const BREAKER_GAUGE_VALUE: Record<BreakerState, number> = { closed: 0, half_open: 1, open: 2 };

/** Breaker changes are logged and exported as `provider_circuit_state` (0 closed, 1 half-open, 2 open). */
function observedBreakers(config: AppConfig, log?: Logger): CircuitBreakers {
  const gauge = Runtime.instance().metricMeter.createGauge('provider_circuit_state', 'int', '', 'Circuit breaker per provider: 0 closed, 1 half-open, 2 open');
  return createCircuitBreakers({
    ...config.breaker,
    onChange: (provider, state) => {
      gauge.set(BREAKER_GAUGE_VALUE[state], { provider });
      log?.warn({ provider, state }, 'provider circuit breaker changed state');
    },
  });
}

export interface ActivityDepsOptions {
  secrets: Readonly<Record<string, string | undefined>>;
  /** Wraps each provider client: the layers the process installs (workers/process.ts). */
  decorateProvider?: (client: ProviderClient) => ProviderClient;
  /** A billing provider other than the configured one (tests record what reached it). */
  billing?: BillingProvider;
  /** Wraps the billing provider: the layers the process installs (workers/process.ts). */
  decorateBilling?: (billing: BillingProvider) => BillingProvider;
  log?: Logger;
}

export function createActivityDeps(config: AppConfig, db: SqlClient, { secrets, decorateProvider, billing, decorateBilling = (b) => b, log }: ActivityDepsOptions): ActivityDeps {
  return {
    db,
    billing: decorateBilling(billing ?? createBilling(config.billing)),
    providers: createProviderClients(config.providers, secrets, decorateProvider),
    breakers: observedBreakers(config, log),
    pricing: config.billing,
    rulesConfidence: config.rulesConfidence,
    healthLatencyMs: config.health.latencyMs,
  };
}
