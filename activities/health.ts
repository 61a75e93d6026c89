import { Context } from '@temporalio/activity';
import type { InferenceHealth } from '../contract';
import { probeProviders } from '../providers/health';
import type { ActivityDeps } from './deps';

/**
 * The deep health probe as the `inference-health` Schedule runs it every minute (DESIGN §13),
 * through this worker's own provider clients, exported as `provider_health{provider}` (1 passing,
 * 0 failing) with the worker's other Temporal metrics.
 */
export function createHealthActivity({ providers, healthLatencyMs }: ActivityDeps) {
  return async function probeInference(): Promise<InferenceHealth> {
    const report = await probeProviders(providers, healthLatencyMs);
    const gauge = Context.current().metricMeter.createGauge('provider_health', 'int', '', 'Deep inference health per provider: 1 passing, 0 failing');
    for (const p of report.providers) gauge.set(p.ok ? 1 : 0, { provider: p.name });
    if (report.status !== 'healthy') Context.current().log.warn('inference health probe failed', { ...report });
    return report;
  };
}
