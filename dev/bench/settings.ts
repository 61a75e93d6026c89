/**
 * The environment of the processes under test: built from nothing but what the bench decides, so
 * a developer's own DATABASE_URL, PROVIDERS or Temporal settings cannot leak into a figure.
 */
import type { ProviderConfigInput } from '../../providers/types';
import { SERVICE_ENV_DEFAULTS } from '../processes';

export const BENCH_API_KEY = 'bench-key';
const SIMULATOR_KEY_ENV = 'SIMULATOR_API_KEY';
/** Only what node and tsx need from the caller's environment. */
const INHERITED = ['PATH', 'HOME', 'TMPDIR', 'LANG'];

export interface ProcessSettings {
  databaseUrl: string;
  temporalAddress: string;
  taskQueue: string;
  providers: ProviderConfigInput[];
  bundle: string;
  /** PAYLOAD_KEYS: the bench's own client must read what the processes write. */
  payloadKeys: string;
  /** Each process its own, as each replica has its own; the worker serves its metrics there. */
  metricsPort?: number;
  apiPort?: number;
}

/** The simulator as named providers, each with its own pinned model so its latency can be set apart. */
export function simulatedProviders(simulatorUrl: string, names: readonly string[]): ProviderConfigInput[] {
  return names.map((name) => ({ name, kind: 'openai', baseURL: `${simulatorUrl}/v1`, model: `sim-${name}-2026-11-01`, apiKeyEnv: SIMULATOR_KEY_ENV }));
}

export function processEnv(base: NodeJS.ProcessEnv, s: ProcessSettings): NodeJS.ProcessEnv {
  const inherited = Object.fromEntries(INHERITED.flatMap((name) => (base[name] === undefined ? [] : [[name, base[name]]])));
  return {
    ...SERVICE_ENV_DEFAULTS,
    ...inherited,
    // As deployed (JSON logs at info, a real key, payloads encrypted), but with the fault-injection
    // layer on, which the fault-cost scenario needs and production refuses.
    NODE_ENV: 'development',
    FAULT_INJECTION: 'enabled',
    LOG_FORMAT: 'json',
    API_KEYS: BENCH_API_KEY,
    // One key sends every request: the benchmark measures the pipeline, not the per-key limit.
    RATE_LIMIT_PER_MINUTE: '0',
    // The reconciler still runs its pass, but finds nothing, as on a healthy deployment. The records
    // the bench abandons (the latency series' and the slow provider's, their workflows terminated
    // when the series ends) are not the product's stuck records: a later run's worker would repair
    // thousands of them while it is being measured, and start them again on that run's fresh dev
    // server, where their workflows do not exist.
    RECONCILE_QUIET_MS: String(24 * 60 * 60 * 1000),
    PAYLOAD_KEYS: s.payloadKeys,
    DATABASE_URL: s.databaseUrl,
    TEMPORAL_ADDRESS: s.temporalAddress,
    TEMPORAL_TASK_QUEUE: s.taskQueue,
    PROVIDERS: JSON.stringify(s.providers),
    [SIMULATOR_KEY_ENV]: 'bench',
    WORKFLOW_BUNDLE_PATH: s.bundle,
    WORKER_METRICS_ADDRESS: s.metricsPort === undefined ? '' : `127.0.0.1:${s.metricsPort}`,
    ...(s.apiPort === undefined ? {} : { PORT: String(s.apiPort) }),
  };
}
