import { ConfigError } from '../config/error';
import type * as AnthropicModule from './anthropic';
import type * as OpenAIModule from './openai';
import type { ProviderClient, ProviderConfig } from './types';

export interface RegisteredProvider {
  config: ProviderConfig;
  client: ProviderClient;
}
export type ProviderRegistry = ReadonlyMap<string, RegisteredProvider>;

// A kind's SDK is loaded at the first call of a provider of that kind: a process keeps about 11 MiB
// (OpenAI's) and 18 MiB (Anthropic's) for an SDK it has loaded, used or not, and the API calls a
// provider only when GET /health/inference is asked.
/* eslint-disable @typescript-eslint/no-require-imports -- loaded on demand, see above */
const FACTORIES: Record<ProviderConfig['kind'], (cfg: ProviderConfig, apiKey: string) => ProviderClient> = {
  openai: (cfg, apiKey) => (require('./openai') as typeof OpenAIModule).createOpenAIClient(cfg, apiKey),
  anthropic: (cfg, apiKey) => (require('./anthropic') as typeof AnthropicModule).createAnthropicClient(cfg, apiKey),
};
/* eslint-enable @typescript-eslint/no-require-imports */

function madeAtFirstCall(make: () => ProviderClient): ProviderClient {
  let client: ProviderClient | undefined;
  return {
    async complete(request) {
      client ??= make();
      return client.complete(request);
    },
  };
}

/** Every missing key is reported at once, so a deploy is fixed in one round, not one per provider. */
export function createProviderClients(
  configs: readonly ProviderConfig[],
  env: Readonly<Record<string, string | undefined>>,
  decorate: (client: ProviderClient) => ProviderClient = (client) => client,
): Map<string, RegisteredProvider> {
  const missing = [...new Set(configs.map((c) => c.apiKeyEnv).filter((name) => !env[name]))];
  if (missing.length > 0) {
    throw new ConfigError(`missing API key: set the environment variable(s) ${missing.join(', ')} (named by apiKeyEnv in PROVIDERS)`);
  }
  return new Map(configs.map((cfg) => [cfg.name, { config: cfg, client: decorate(madeAtFirstCall(() => FACTORIES[cfg.kind](cfg, env[cfg.apiKeyEnv] as string))) }]));
}
