/**
 * The Temporal SDK's process-wide runtime of a worker process. Apart from the logger so that a
 * process with no worker (the API, the MLLP listener) never loads the worker SDK and its native core.
 */
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import type { Logger } from 'pino';

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
