/**
 * The worker process: one Worker on the `records` queue for the workflow and its bookkeeping
 * steps, and one per provider queue so a slow provider only ever occupies its own slots and its
 * rate limit holds across every worker polling that queue.
 */
import { NativeConnection, Worker, type WorkerPlugin, type WorkflowBundleOption } from '@temporalio/worker';
import { createActivities } from '../activities';
import { loadConfig, type AppConfig } from '../config';
import { createLogger, installTemporalRuntime } from '../config/logger';
import { requireDatabaseUrl, runMain } from '../config/runtime';
import { createDb } from '../db/client';
import { createRecordStarter, starterSettings } from '../ingest';
import { createReconcileActivities, type ReconcileActivities } from '../reconcile/activities';
import { ensureReconcileSchedule } from '../reconcile/schedule';
import { connectClient, temporalConnectionOptions } from '../temporal/client';
import { startTracing } from '../telemetry/tracing';
import { workflowBundleOptions } from './bundle';
import { createActivityDeps } from './deps';

export interface WorkerSetOptions {
  config: AppConfig;
  connection: NativeConnection;
  activities: ReturnType<typeof createActivities>;
  /** The reconciler's activity, which needs a Temporal client of its own. */
  reconcile?: ReconcileActivities;
  /** A pre-built bundle (tests, production images); without one the worker bundles at start. */
  workflowBundle?: WorkflowBundleOption;
  /** Tracing: its workflow interceptors must be bundled in, so a pre-built bundle is not used. */
  plugins?: WorkerPlugin[];
}

export async function createWorkers({ config, connection, activities, reconcile, workflowBundle, plugins = [] }: WorkerSetOptions): Promise<Worker[]> {
  const common = { connection, namespace: config.temporal.namespace, plugins };
  const records = await Worker.create({
    ...common,
    taskQueue: config.temporal.taskQueue,
    ...(workflowBundle && plugins.length === 0
      ? { workflowBundle }
      : { workflowsPath: workflowBundleOptions.workflowsPath, bundlerOptions: { preloadModules: workflowBundleOptions.preloadModules } }),
    activities: { ...activities, ...reconcile },
    ...(config.maxCachedWorkflows ? { maxCachedWorkflows: config.maxCachedWorkflows } : {}),
  });
  const providers = await Promise.all(
    config.providers.map((p) =>
      Worker.create({
        ...common,
        taskQueue: config.pipeline.providers.find((r) => r.name === p.name)?.taskQueue ?? p.name,
        activities: { infer: activities.infer },
        maxConcurrentActivityTaskExecutions: p.maxConcurrent,
        ...(p.ratePerSecond ? { maxTaskQueueActivitiesPerSecond: p.ratePerSecond } : {}),
      }),
    ),
  );
  return [records, ...providers];
}

export async function runWorkerProcess(config: AppConfig): Promise<void> {
  const log = createLogger(config.log, 'worker');
  installTemporalRuntime(log, config.workerMetricsAddress);
  const db = createDb(requireDatabaseUrl(config));
  const activities = createActivities(createActivityDeps(config, db, process.env, {}, log));
  const tracing = startTracing(config.otlpEndpoint, 'durable-inference-worker');
  const plugins = tracing ? [tracing.plugin] : [];
  const connection = await NativeConnection.connect(temporalConnectionOptions(config.temporal));
  const temporal = await connectClient(config.temporal, plugins);
  const reconcile = createReconcileActivities({ db, temporal, start: createRecordStarter(starterSettings(config, temporal)) });
  const workflowBundle = config.workflowBundlePath ? { codePath: config.workflowBundlePath } : undefined;
  const workers = await createWorkers({ config, connection, activities, reconcile, workflowBundle, plugins });
  const schedule = await ensureReconcileSchedule(temporal, { taskQueue: config.temporal.taskQueue, ...config.reconcile });
  log.info({ taskQueues: workers.map((w) => w.options.taskQueue), reconcileSchedule: schedule }, 'workers polling');
  await Promise.all(workers.map((w) => w.run()));
  await temporal.connection.close();
  await connection.close();
  await db.$disconnect();
  await tracing?.shutdown();
}

if (require.main === module) runMain(() => runWorkerProcess(loadConfig(process.env)));
