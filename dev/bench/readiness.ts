/**
 * A worker process is ready when Temporal sees that very process (SDK identity `<pid>@host`) poll
 * each of its queues; pollers of earlier, stopped workers stay listed for minutes, so any poller
 * will not do.
 */
import type { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import type { PipelineOptions } from '../../contract';
import type { Child } from './children';

const { TASK_QUEUE_TYPE_WORKFLOW, TASK_QUEUE_TYPE_ACTIVITY } = temporal.api.enums.v1.TaskQueueType;
type QueueType = temporal.api.enums.v1.TaskQueueType;

export interface PolledQueues {
  taskQueue: string;
  pipeline: PipelineOptions;
}

function queuesOf({ taskQueue, pipeline }: PolledQueues): Array<{ name: string; type: QueueType }> {
  return [
    { name: taskQueue, type: TASK_QUEUE_TYPE_WORKFLOW },
    { name: taskQueue, type: TASK_QUEUE_TYPE_ACTIVITY },
    ...pipeline.providers.map((p) => ({ name: p.taskQueue, type: TASK_QUEUE_TYPE_ACTIVITY })),
  ];
}

async function polledBy(client: Client, pid: number, queue: { name: string; type: QueueType }): Promise<boolean> {
  const { pollers } = await client.workflowService.describeTaskQueue({ namespace: client.options.namespace, taskQueue: { name: queue.name }, taskQueueType: queue.type });
  return (pollers ?? []).some((p) => p.identity?.startsWith(`${pid}@`));
}

export async function waitUntilPolling(client: Client, child: Child, queues: PolledQueues, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    child.assertAlive();
    const polled = await Promise.all(queuesOf(queues).map((q) => polledBy(client, child.pid, q)));
    if (polled.every(Boolean)) return;
    if (Date.now() > deadline) throw new Error(`${child.name} (pid ${child.pid}) did not poll its queues within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
