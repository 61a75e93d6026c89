/**
 * The end of a run, read from Temporal's visibility store for the pipeline and the baseline alike:
 * the run is over when every workflow of its id prefix has closed, and its end is the latest close
 * time Temporal recorded (not when a poll happened to notice).
 */
import type { Client } from '@temporalio/client';

export interface Closed {
  lastCloseMs: number;
  byStatus: Record<string, number>;
}

const POLL_MS = 250;

/** Polls a visibility count until it reaches `expected`; `what` names the workflows counted, for the error. */
async function waitForCount(client: Client, query: string, what: string, expected: number, assertAlive: () => void, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    assertAlive();
    const { count } = await client.workflow.count(query);
    if (count >= expected) return;
    if (Date.now() > deadline) throw new Error(`only ${count} of ${expected} workflows ${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

async function closeTimes(client: Client, prefix: string): Promise<Closed> {
  const byStatus: Record<string, number> = {};
  let lastCloseMs = 0;
  for await (const run of client.workflow.list({ query: `WorkflowId STARTS_WITH "${prefix}"` })) {
    byStatus[run.status.name] = (byStatus[run.status.name] ?? 0) + 1;
    lastCloseMs = Math.max(lastCloseMs, run.closeTime?.getTime() ?? 0);
  }
  return { lastCloseMs, byStatus };
}

export async function waitForClosed(client: Client, prefix: string, expected: number, assertAlive: () => void, timeoutMs: number): Promise<Closed> {
  await waitForCount(client, `WorkflowId STARTS_WITH "${prefix}" AND ExecutionStatus != "Running"`, `${prefix}* closed`, expected, assertAlive, timeoutMs);
  return closeTimes(client, prefix);
}

/** The API starts a record's workflow behind its answer: waits until every answered record's workflow exists. */
export function waitForStarted(client: Client, prefix: string, expected: number, assertAlive: () => void, timeoutMs: number): Promise<void> {
  return waitForCount(client, `WorkflowId STARTS_WITH "${prefix}"`, `${prefix}* started`, expected, assertAlive, timeoutMs);
}
