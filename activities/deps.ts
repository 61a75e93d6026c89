import type { BillingProvider } from '../billing';
import type { SqlClient } from '../db/sql';
import type { CircuitBreakers } from '../providers/breaker';
import type { ProviderRegistry } from '../providers/registry';

/** What the activities need, passed in so a test can hand over parts it observes. */
export interface ActivityDeps {
  db: SqlClient;
  billing: BillingProvider;
  providers: ProviderRegistry;
  breakers: CircuitBreakers;
  /** PRICE_CENTS and CURRENCY: what an account that sets no price pays per record. */
  pricing: { priceCents: number; currency: string };
  /** RULES_CONFIDENCE: the confidence of a rules-tier output. */
  rulesConfidence: number;
  /** HEALTH_LATENCY_MS: the deep health probe's latency bound. */
  healthLatencyMs: number;
}
