/** Deep inference health (DESIGN §13): what `GET /health/inference` answers and the probe's Schedule returns. */

export interface ProviderHealth {
  name: string;
  /** A schema-valid answer to the canary within the latency bound. */
  ok: boolean;
  latencyMs: number;
  schemaValid: boolean;
  /** What was wrong; never the answer itself. */
  error?: string;
  /** As the provider's config says, set only for a deprecated provider. */
  deprecated?: true;
  replacement?: string;
  sunset?: string;
}

export type InferenceHealthStatus = 'healthy' | 'degraded' | 'unhealthy';

export interface InferenceHealth {
  status: InferenceHealthStatus;
  providers: ProviderHealth[];
}
