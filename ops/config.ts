/**
 * Where the operator CLI finds the API and which key it presents. A schema of its own, not
 * config/: an operator's shell has no database, providers or Temporal settings, and should not
 * need them to talk to the API.
 */
import { z } from 'zod';
import { DEV_API_KEY } from '../config';

const opsEnvSchema = z.object({
  DI_API_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  DI_API_KEY: z.string().min(1).optional(),
  PORT: z.coerce.number().int().min(1).max(65535).default(3000),
  API_KEYS: z.string().optional(),
  NODE_ENV: z.string().optional(),
});

export interface OpsConfig {
  apiUrl: string;
  apiKey: string;
}

export class OpsConfigError extends Error {
  override name = 'OpsConfigError';
}

function firstKey(apiKeys: string | undefined): string | undefined {
  return apiKeys?.split(',').map((k) => k.trim()).find(Boolean);
}

export function loadOpsConfig(source: NodeJS.ProcessEnv): OpsConfig {
  const parsed = opsEnvSchema.safeParse(source);
  if (!parsed.success) {
    throw new OpsConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; '));
  }
  const env = parsed.data;
  // The same fallback as the API's own keys, so `npm run ops` works against `npm start` untouched.
  const apiKey = env.DI_API_KEY ?? firstKey(env.API_KEYS) ?? (env.NODE_ENV === 'production' ? undefined : DEV_API_KEY);
  if (!apiKey) throw new OpsConfigError('DI_API_KEY (or API_KEYS) is required when NODE_ENV=production');
  return { apiUrl: (env.DI_API_URL ?? `http://localhost:${env.PORT}`).replace(/\/+$/, ''), apiKey };
}
