/**
 * A worker process as it runs in production: configuration, logging, metrics and traces, the
 * production activity dependencies, the workers, and the reconciler's Schedule. The composition
 * root of the worker side: it installs the fault-injection layer where FAULT_INJECTION is enabled.
 */
import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../activities';
import type { AppConfig } from '../config';
import { createLogger } from '../config/logger';
import { requireDatabaseUrl } from '../config/runtime';
import { ensureDefaultAccount } from '../db/accounts';
import { createSqlClient } from '../db/sql';
import { processFaultHooks, workerFaultLayer } from '../faults';
import { createRecordStarter } from '../ingest';
import { starterSettings } from '../ingest/settings';
import { warnDeprecated } from '../providers/settings';
import { createReconcileActivities } from '../reconcile/activities';
import { ensureReconcileSchedule } from '../reconcile/schedule';
import { temporalClient, temporalConnectionOptions } from '../temporal/client';
import { startTracing } from '../telemetry/tracing';
import { createWorkers } from './create';
import { createActivityDeps } from './deps';
import { ensureInferenceHealthSchedule } from './inference-health';
import { installTemporalRuntime, yieldCpuToIngest } from './runtime';

export async function runWorkerProcess(config: AppConfig): Promise<void> {
  const log = createLogger(config.log, 'worker');
  yieldCpuToIngest(config.workerNice);
  installTemporalRuntime(log, config.workerMetricsAddress);
  warnDeprecated(config.providers, log);
  const db = createSqlClient(requireDatabaseUrl(config), {
    onIdleError: (err) => log.warn({ err }, 'PostgreSQL dropped an idle connection; the next statement connects anew'),
  });
  await ensureDefaultAccount(db, config.billing.currency);
  const tracing = await startTracing(config.otlpEndpoint, 'durable-inference-worker');
  const plugins = tracing ? [tracing.plugin] : [];
  const connection = await NativeConnection.connect(temporalConnectionOptions(config.temporal));
  const temporal = temporalClient(config.temporal, connection, plugins);
  const faults = workerFaultLayer(config.faultInjection, processFaultHooks(db));
  const activities = createActivities(createActivityDeps(config, db, { secrets: process.env, decorateProvider: faults.decorateProvider, decorateBilling: faults.decorateBilling, log }));
  const reconcile = createReconcileActivities({ db, temporal, start: createRecordStarter(starterSettings(config, temporal)) });
  const workflowBundle = config.workflowBundlePath ? { codePath: config.workflowBundlePath } : undefined;
  const workers = await createWorkers({ config, connection, activities, reconcile, workflowBundle, plugins, activityInterceptors: faults.activityInterceptors });
  const schedule = await ensureReconcileSchedule(temporal, { taskQueue: config.temporal.taskQueue, ...config.reconcile });
  const healthSchedule = await ensureInferenceHealthSchedule(temporal, config.temporal.taskQueue);
  log.info({ taskQueues: workers.map((w) => w.options.taskQueue), reconcileSchedule: schedule, healthSchedule }, 'workers polling');
  await Promise.all(workers.map((w) => w.run()));
  await connection.close();
  await db.end();
  await tracing?.shutdown();
}

