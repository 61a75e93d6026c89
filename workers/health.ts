/**
 * The worker container's healthcheck (`bin/worker-health.ts`): healthy when
 * Temporal has seen this host's workers poll every task queue the worker process serves. A worker
 * process has no HTTP port to probe, and "Temporal sees it polling" is the property that matters:
 * a worker that lost its connection or hangs drops out of the poller list within minutes.
 */
import os from 'node:os';
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { loadConfig, type AppConfig } from '../config';
import { connectClient } from '../temporal/client';

const { TASK_QUEUE_TYPE_WORKFLOW, TASK_QUEUE_TYPE_ACTIVITY } = temporal.api.enums.v1.TaskQueueType;

/** The queues (and poll kinds) of createWorkers that have no poller from `host`; empty when healthy. */
export async function unpolledTaskQueues(client: Client, config: AppConfig, host: string): Promise<string[]> {
  const expected = [
    { name: config.temporal.taskQueue, type: TASK_QUEUE_TYPE_WORKFLOW, label: 'workflow' },
    ...config.pipeline.providers.map((p) => ({ name: p.taskQueue, type: TASK_QUEUE_TYPE_ACTIVITY, label: 'activity' })),
  ];
  const results = await Promise.all(
    expected.map(async ({ name, type, label }) => {
      const { pollers } = await client.workflowService.describeTaskQueue({
        namespace: config.temporal.namespace,
        taskQueue: { name },
        taskQueueType: type,
      });
      // The SDK's default worker identity is `<pid>@<hostname>`, and a container's hostname is its own.
      const polled = (pollers ?? []).some((p) => p.identity?.endsWith(`@${host}`));
      return polled ? [] : [`${name} (${label})`];
    }),
  );
  return results.flat();
}

/** Exits non-zero (throws) when this host polls none of some queue the worker serves. */
export async function checkWorkerHealth(): Promise<void> {
  const config = loadConfig(process.env);
  const client = await connectClient(config.temporal);
  try {
    const missing = await client.withDeadline(Date.now() + 5_000, () => unpolledTaskQueues(client, config, os.hostname()));
    if (missing.length > 0) throw new Error(`no poller from ${os.hostname()} on ${missing.join(', ')}`);
  } finally {
    await client.connection.close();
  }
}

