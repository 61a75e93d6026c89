/**
 * The baselines' worker process (an entry point, spawned by the bench): createWorkers itself, so
 * the queues, slots, rate limits and CPU priority are exactly the pipeline worker's, with no-op
 * activities and a baseline's bundle (WORKFLOW_BUNDLE_PATH: the three-regular-activity or the mixed
 * one) in place of the real ones. The mixed baseline calls charge and persist as local activities
 * of the records queue's worker, as the pipeline does.
 */
import { NativeConnection } from '@temporalio/worker';
import type { Activities } from '../../activities';
import { ConfigError, loadConfig } from '../../config';
import { createLogger } from '../../config/logger';
import { runMain } from '../../config/runtime';
import { temporalConnectionOptions } from '../../temporal/client';
import { createWorkers } from '../../workers/create';
import { installTemporalRuntime, yieldCpuToIngest } from '../../workers/runtime';

const noop = async (): Promise<void> => undefined;
// createWorkers registers the pipeline's activity set; the baseline fills the same names with no-ops.
const NOOP_ACTIVITIES = { charge: noop, infer: noop, persist: noop } as unknown as Activities;

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  if (!config.workflowBundlePath) throw new ConfigError('WORKFLOW_BUNDLE_PATH must name the baseline bundle');
  const log = createLogger(config.log, 'baseline-worker');
  yieldCpuToIngest(config.workerNice);
  installTemporalRuntime(log, config.workerMetricsAddress);
  const connection = await NativeConnection.connect(temporalConnectionOptions(config.temporal));
  const workers = await createWorkers({ config, connection, activities: NOOP_ACTIVITIES, workflowBundle: { codePath: config.workflowBundlePath } });
  log.info({ taskQueues: workers.map((w) => w.options.taskQueue) }, 'workers polling');
  await Promise.all(workers.map((w) => w.run()));
  await connection.close();
}

runMain(main);
