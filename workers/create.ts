/**
 * The workers of one worker process: one Worker on the `records` queue for the workflow and its
 * lifecycle steps, and one per provider queue so a slow provider only ever occupies its own slots
 * and its rate limit holds across every worker polling that queue.
 */
import { Worker, type ActivityInterceptorsFactory, type NativeConnection, type WorkerPlugin, type WorkflowBundleOption } from '@temporalio/worker';
import type { createActivities } from '../activities';
import type { AppConfig } from '../config';
import type { ReconcileActivities } from '../contract';
import { payloadDataConverter } from '../temporal/client';
import { workflowBundleOptions } from './bundle';

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
  /** Around every activity of every worker: the layers the process installs (workers/process.ts). */
  activityInterceptors?: ActivityInterceptorsFactory[];
}

export async function createWorkers({ config, connection, activities, reconcile, workflowBundle, plugins = [], activityInterceptors = [] }: WorkerSetOptions): Promise<Worker[]> {
  const { workflowsPath, preloadModules, webpackConfigHook, workflowInterceptorModules } = workflowBundleOptions;
  const common = {
    connection,
    namespace: config.temporal.namespace,
    plugins,
    interceptors: { activity: activityInterceptors },
    dataConverter: payloadDataConverter(config.temporal.payloadKeys),
  };
  const records = await Worker.create({
    ...common,
    taskQueue: config.temporal.taskQueue,
    ...(workflowBundle && plugins.length === 0
      ? { workflowBundle }
      : { workflowsPath, bundlerOptions: { preloadModules, webpackConfigHook }, interceptors: { ...common.interceptors, workflowModules: workflowInterceptorModules } }),
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

