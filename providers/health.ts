/**
 * Deep inference health (DESIGN §13): a fixed canary input through each provider's real adapter,
 * checked against the output schema and a latency bound. The API answers `GET /health/inference`
 * with it (cached, so probes do not multiply model cost); a worker's Schedule runs it every minute.
 */
import type { InferenceHealth, ProviderHealth } from '../contract';
import { classifyProviderError, parseModelOutput, providerFailureDetails } from './errors';
import type { ProviderRegistry, RegisteredProvider } from './registry';

/** Fixed and free of record data, so a probe's answer says nothing about anyone. */
export const CANARY_TEXT = 'Routine follow-up visit. The patient reports feeling well and has no new symptoms.';

export interface HealthSettings {
  /** HEALTH_LATENCY_MS: a slower answer is a failed probe; the call is abandoned at this bound. */
  latencyMs: number;
  /** HEALTH_CACHE_MS: how long one probe's results answer every request. */
  cacheMs: number;
}

function deprecation({ deprecated, replacement, sunset }: RegisteredProvider['config']): Partial<ProviderHealth> {
  if (!deprecated) return {};
  return { deprecated: true, ...(replacement ? { replacement } : {}), ...(sunset ? { sunset } : {}) };
}

async function probeProvider(provider: RegisteredProvider, latencyBoundMs: number): Promise<ProviderHealth> {
  const { config, client } = provider;
  const started = Date.now();
  const result = (fields: Omit<ProviderHealth, 'name' | 'latencyMs'>): ProviderHealth => ({
    name: config.name,
    latencyMs: Date.now() - started,
    ...fields,
    ...deprecation(config),
  });
  let content: string;
  try {
    ({ content } = await client.complete({ text: CANARY_TEXT, signal: AbortSignal.timeout(latencyBoundMs) }));
  } catch (err) {
    const failure = classifyProviderError(err, config.name);
    const error = providerFailureDetails(failure)?.reason === 'aborted' ? `no answer within ${latencyBoundMs} ms` : failure.message;
    return result({ ok: false, schemaValid: false, error });
  }
  try {
    parseModelOutput(content);
  } catch (err) {
    return result({ ok: false, schemaValid: false, error: err instanceof Error ? err.message : 'answer is not valid' });
  }
  const answered = result({ ok: true, schemaValid: true });
  if (answered.latencyMs <= latencyBoundMs) return answered;
  return { ...answered, ok: false, error: `answered in ${answered.latencyMs} ms, over the bound of ${latencyBoundMs} ms` };
}

/** Every provider at once: one slow provider does not delay the verdict on the others. */
export async function probeProviders(providers: ProviderRegistry, latencyBoundMs: number): Promise<InferenceHealth> {
  const results = await Promise.all([...providers.values()].map((p) => probeProvider(p, latencyBoundMs)));
  const passing = results.filter((r) => r.ok).length;
  const status = passing === results.length ? 'healthy' : passing === 0 ? 'unhealthy' : 'degraded';
  return { status, providers: results };
}

/**
 * The probe behind a cache: requests while a probe runs share it, and its results stand for
 * `cacheMs` after it ends, so there is at most one canary call per provider per cache period.
 */
export function cachedHealthProbe(providers: ProviderRegistry, { latencyMs, cacheMs }: HealthSettings, now = Date.now): () => Promise<InferenceHealth> {
  let current: { report: Promise<InferenceHealth>; until: number } | undefined;
  return () => {
    if (current && now() < current.until) return current.report;
    const entry = { report: probeProviders(providers, latencyMs), until: Number.POSITIVE_INFINITY };
    const ended = () => void (entry.until = now() + cacheMs);
    entry.report.then(ended, ended);
    current = entry;
    return entry.report;
  };
}
