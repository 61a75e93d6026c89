import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import pino, { type Logger } from 'pino';

export interface LogSettings {
  level: string;
  /** Human-readable lines for a terminal; JSON lines for everything that ships logs. */
  pretty: boolean;
}

/** pino-pretty is a development dependency: a production install has none, and logs JSON whatever LOG_FORMAT says. */
function prettyAvailable(): boolean {
  try {
    require.resolve('pino-pretty');
    return true;
  } catch {
    return false;
  }
}

export function createLogger({ level, pretty }: LogSettings, name: string): Logger {
  const prettyLines = pretty && prettyAvailable();
  const log = pino({
    level,
    name,
    redact: { paths: ['req.headers.authorization', 'apiKey', '*.apiKey', 'apiKeys'], censor: '[redacted]' },
    ...(prettyLines ? { transport: { target: 'pino-pretty', options: { colorize: true, ignore: 'pid,hostname' } } } : {}),
  });
  if (pretty && !prettyLines) log.warn('LOG_FORMAT=pretty needs pino-pretty, a development dependency not installed here: logging JSON');
  return log;
}

const PINO_LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

/**
 * Routes the Temporal SDK's own logs, and the workflow and activity loggers (which carry
 * workflowId, activityType and attempt), into pino; optionally serves the SDK's Prometheus metrics.
 * Must run before the process creates its first Worker or NativeConnection.
 */
export function installTemporalRuntime(log: Logger, metricsBindAddress?: string): void {
  Runtime.install({
    logger: new DefaultLogger('INFO', ({ level, message, meta }) => log[PINO_LEVEL[level]]({ ...meta }, message)),
    ...(metricsBindAddress ? { telemetryOptions: { metrics: { prometheus: { bindAddress: metricsBindAddress } } } } : {}),
  });
}
