import { Context } from '@temporalio/activity';
import { Runtime } from '@temporalio/worker';
import type { Logger } from 'pino';
import type { ActivityDeps } from '../activities';
import { createLedgerBilling } from '../billing';
import type { AppConfig } from '../config';
import type { Db } from '../db/client';
import { processFaultHooks } from '../faults';
import { createCircuitBreakers, type BreakerState, type CircuitBreakers } from '../providers/breaker';
import { createProviderClients } from '../providers/registry';

/**
 * The production parts the activities run on; tests pass overrides for what they observe
 * (a recording billing provider) or cannot do in-process (a crash).
 */
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

export function createActivityDeps(
  config: AppConfig,
  db: Db,
  secrets: Readonly<Record<string, string | undefined>>,
  overrides: Partial<ActivityDeps> = {},
  log?: Logger,
): ActivityDeps {
  return {
    db,
    billing: createLedgerBilling(),
    providers: createProviderClients(config.providers, secrets),
    breakers: observedBreakers(config, log),
    pricing: config.billing,
    faultHooks: processFaultHooks(() => Context.current().info.startToCloseTimeoutMs + 1_000),
    ...overrides,
  };
}
