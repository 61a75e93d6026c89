/**
 * A setting the process cannot run with: reported as one line naming the setting, never as a stack,
 * and the process exits with EXIT_CONFIGURATION (config/runtime.ts). Its own module, so the parts
 * that read one setting each (providers, ports) can raise it without the whole configuration.
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
}
