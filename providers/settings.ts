/**
 * The PROVIDERS setting, read and checked. Apart from the clients (registry.ts) so that reading the
 * configuration, which every process does, does not load the provider SDKs.
 */
import { readFileSync } from 'node:fs';
import type { Logger } from 'pino';
import { z } from 'zod';
import { ConfigError } from '../config/error';
import { providerConfigSchema, type ProviderConfig } from './types';

// The order is the provider chain: primary first, then fallbacks.
const providersSchema = (today: string) =>
  z
    .array(providerConfigSchema)
    .min(1, 'at least one provider is required')
    .refine((list) => new Set(list.map((p) => p.name)).size === list.length, { message: 'provider names must be unique' })
    .superRefine((list, ctx) => {
      for (const [i, p] of list.entries()) {
        // A calendar date: the provider serves through its sunset day, by UTC.
        if (p.sunset !== undefined && p.sunset < today) {
          ctx.addIssue({ code: 'custom', path: [i, 'sunset'], message: `provider ${p.name} was sunset on ${p.sunset}${p.replacement ? `: move to ${p.replacement}` : ''}` });
        }
      }
    });

function readSetting(value: string): unknown {
  const text = /^\s*[[{]/.test(value) ? value : readProvidersFile(value);
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`PROVIDERS is not valid JSON: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

function readProvidersFile(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new ConfigError(`PROVIDERS is neither JSON nor a readable file (${path}): ${err instanceof Error ? err.message : String(err)}`, { cause: err });
  }
}

/** PROVIDERS (DESIGN §9): a JSON array of provider configs, or the path of a file holding one. */
export function parseProvidersSetting(value: string | undefined, defaults: unknown, now = new Date()): ProviderConfig[] {
  const raw = value === undefined || value.trim() === '' ? defaults : readSetting(value.trim());
  const result = providersSchema(now.toISOString().slice(0, 10)).safeParse(raw);
  if (!result.success) {
    const issues = result.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new ConfigError(`invalid PROVIDERS: ${issues}`);
  }
  return result.data;
}

/** Said once at every start, so a deprecation is seen in the logs long before its sunset refuses the config. */
export function warnDeprecated(configs: readonly ProviderConfig[], log: Pick<Logger, 'warn'>): void {
  for (const { name, model, replacement, sunset } of configs.filter((c) => c.deprecated)) {
    log.warn({ provider: name, model, replacement, sunset }, 'provider is deprecated');
  }
}
