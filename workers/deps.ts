import { Context } from '@temporalio/activity';
import type { ActivityDeps } from '../activities';
import { createLedgerBilling } from '../billing';
import type { AppConfig } from '../config';
import type { Db } from '../db/client';
import { processFaultHooks } from '../faults';
import { createCircuitBreakers } from '../providers/breaker';
import { createProviderClients } from '../providers/registry';

/**
 * The production parts the activities run on; tests pass overrides for what they observe
 * (a recording billing provider) or cannot do in-process (a crash).
 */
export function createActivityDeps(
  config: AppConfig,
  db: Db,
  secrets: Readonly<Record<string, string | undefined>>,
  overrides: Partial<ActivityDeps> = {},
): ActivityDeps {
  return {
    db,
    billing: createLedgerBilling(),
    providers: createProviderClients(config.providers, secrets),
    breakers: createCircuitBreakers(config.breaker),
    pricing: config.billing,
    faultHooks: processFaultHooks(() => Context.current().info.startToCloseTimeoutMs + 1_000),
    ...overrides,
  };
}
