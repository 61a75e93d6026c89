/**
 * A stack someone else runs (CHAOS_USE_RUNNING=1): the harness sends its traffic and, where the
 * supervisor's pid files are at hand, kills the worker and the API; it cannot restart a database
 * it does not own, so that event is skipped and said so.
 */
import type { AppConfig } from '../../config';
import { connectClient } from '../../temporal/client';
import { killAndAwaitRestart, readPids, type ChildName } from './pids';
import type { ChaosStack } from './stack';

export interface AttachOptions {
  config: AppConfig;
  apiUrl: string;
  apiKey: string;
  databaseUrl: string;
}

export function attachToStack({ config, apiUrl, apiKey, databaseUrl }: AttachOptions): ChaosStack {
  const [first, second] = config.providers.map((p) => p.name);
  if (!first) throw new Error('the configuration names no provider');
  const providerAttempts = Math.max(...config.pipeline.providers.map((p) => p.retry.maximumAttempts));
  const kills: Record<ChildName, number> = { worker: 0, api: 0, mllp: 0 };
  return {
    topology: `running stack (Temporal at ${config.temporal.address})`,
    apiUrls: [apiUrl],
    apiKey,
    mllpPort: config.mllp.port,
    databaseUrl,
    connectTemporal: () => connectClient(config.temporal),
    providers: [first, second ?? first],
    stepAttempts: config.pipeline.steps.charge.maximumAttempts,
    providerAttempts,
    traffic: () => undefined,
    stripeRequests: () => undefined,
    pidsOf: (name) => readPids(config.dataDir, name),
    kill: (name) => killAndAwaitRestart(config.dataDir, name, kills[name]++),
    stop: async () => undefined,
  };
}
