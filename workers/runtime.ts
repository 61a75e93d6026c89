/**
 * The Temporal SDK's process-wide runtime of a worker process. Apart from the logger so that a
 * process with no worker (the API, the MLLP listener) never loads the worker SDK and its native core.
 */
import { DefaultLogger, Runtime, type LogLevel } from '@temporalio/worker';
import { getPriority, setPriority } from 'node:os';
import type { Logger } from 'pino';
import { ConfigError } from '../config/error';

const PINO_LEVEL: Record<LogLevel, 'trace' | 'debug' | 'info' | 'warn' | 'error'> = {
  TRACE: 'trace',
  DEBUG: 'debug',
  INFO: 'info',
  WARN: 'warn',
  ERROR: 'error',
};

const EXPORTER_FAILED = 'Failed to start prometheus metrics exporter';

/**
 * Lowers this process's CPU priority by `nice` (AppConfig.workerNice). Only the priority among the
 * processes of one host or container: containers share a host's cores by their CPU weight
 * (docker-compose.yml gives the worker a smaller one).
 */
export function yieldCpuToIngest(nice: number): void {
  // Only ever lower it: a process started at a lower priority still (a niced supervisor) may not raise its own.
  if (nice > getPriority()) setPriority(nice);
}

/**
 * Routes the Temporal SDK's own logs, its native core's included, and the workflow and activity
 * loggers (which carry workflowId, activityType and attempt), into pino; optionally serves the SDK's
 * Prometheus metrics. Must run before the process creates its first Worker or NativeConnection.
 */
export function installTemporalRuntime(log: Logger, metricsBindAddress?: string): void {
  try {
    Runtime.install({
      logger: new DefaultLogger('INFO', ({ level, message, meta }) => log[PINO_LEVEL[level]]({ ...meta }, message)),
      telemetryOptions: {
        // Unforwarded, the core writes its warnings (a slow workflow task, a lost poll) to stderr as
        // coloured text that no JSON log pipeline parses. Forwarded, the SDK holds every line it logs
        // for 100 ms to order them, so a process killed outright loses its last 100 ms of them.
        logging: { forward: {} },
        ...(metricsBindAddress ? { metrics: { prometheus: { bindAddress: metricsBindAddress } } } : {}),
      },
    });
  } catch (err) {
    // The SDK's core says only in its message that the exporter could not bind (a port in use, an address not of this machine).
    if (metricsBindAddress && err instanceof Error && err.message.startsWith(EXPORTER_FAILED)) {
      throw new ConfigError(`WORKER_METRICS_ADDRESS=${metricsBindAddress}: cannot serve metrics there: ${err.message.slice(EXPORTER_FAILED.length).replace(/^:\s*/, '')}`, { cause: err });
    }
    throw err;
  }
}
