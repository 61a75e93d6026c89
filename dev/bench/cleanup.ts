/** Workflows a run leaves open on purpose (the slow provider's records) are ended, so later runs do not share the server with them. */
import type { Client } from '@temporalio/client';
import { inPool } from './submit';

export async function terminateRunning(client: Client, prefix: string, reason: string): Promise<number> {
  const ids: string[] = [];
  for await (const run of client.workflow.list({ query: `WorkflowId STARTS_WITH "${prefix}" AND ExecutionStatus = "Running"` })) ids.push(run.workflowId);
  await inPool(ids.length, 16, async (i) => {
    await client.workflow.getHandle(ids[i] as string).terminate(reason).catch(() => undefined);
  });
  return ids.length;
}
