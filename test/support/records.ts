/** Helpers that read the outcome of a scenario from the real tables and the real API. */
import { WorkflowNotFoundError } from '@temporalio/client';
import { randomUUID } from 'node:crypto';
import { sqlViolations } from '../../audit';
import { workflowIdFor, type FaultPlan, type ModelOutput, type ReconcileResult, type RecordStatusView } from '../../contract';
import type { Stack } from './stack';
import { until } from './until';

export const uniqueId = (label: string): string => `${label}-${randomUUID().slice(0, 8)}`;

export async function post(stack: Stack, path: string, body: unknown, apiKey = stack.apiKey): Promise<{ status: number; body: any }> {
  const res = await fetch(`${stack.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
  return { status: res.status, body: await res.json() };
}

export async function get(stack: Stack, path: string, apiKey = stack.apiKey): Promise<{ status: number; body: any }> {
  const res = await fetch(`${stack.baseUrl}${path}`, { headers: { authorization: `Bearer ${apiKey}` } });
  return { status: res.status, body: await res.json() };
}

export function submit(stack: Stack, id: string, text: string, simulate?: unknown) {
  return post(stack, '/v1/records', { id, input: { text }, ...(simulate ? { simulate } : {}) });
}

/** The workflow's result. The API starts a record's workflow just after its answer, so this first waits for the workflow to exist. */
export async function result(stack: Stack, id: string, timeoutMs = 30_000): Promise<RecordStatusView> {
  const handle = stack.env.client.workflow.getHandle(workflowIdFor(id));
  const exists = () => handle.describe().then(() => true, (err: unknown) => (err instanceof WorkflowNotFoundError ? undefined : true));
  await until(`the workflow of record ${id}`, exists, timeoutMs);
  return (await handle.result()) as RecordStatusView;
}

/** One pass of the reconciler now, as its Schedule runs it, checking every open row however recent. */
export const reconcileNow = (stack: Stack): Promise<ReconcileResult> =>
  stack.env.client.workflow.execute('reconcileRecords', {
    taskQueue: stack.config.temporal.taskQueue,
    workflowId: uniqueId('reconcile'),
    args: [{ quietForMs: 0, limit: 1_000 }],
  });

/** Polls the workflow's own `status` query: no sleeps-and-hope, it ends as soon as the state is reached. */
export async function waitForStatus(stack: Stack, id: string, status: string, timeoutMs = 60_000): Promise<RecordStatusView> {
  const handle = stack.env.client.workflow.getHandle(workflowIdFor(id));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const view = await handle.query<RecordStatusView>('status').catch(() => undefined);
    if (view?.status === status) return view;
    if (Date.now() > deadline) throw new Error(`record ${id} did not reach ${status} (last: ${JSON.stringify(view)})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

export async function ledgerOf(stack: Stack, id: string) {
  const [charges, outputs, calls, record, events] = await Promise.all([
    stack.db.charge.findMany({ where: { recordId: id } }),
    stack.db.inferenceOutput.findMany({ where: { recordId: id } }),
    stack.db.modelCall.findMany({ where: { recordId: id }, orderBy: { id: 'asc' } }),
    stack.db.record.findUnique({ where: { id } }),
    stack.db.recordEvent.findMany({ where: { recordId: id }, orderBy: { id: 'asc' } }),
  ]);
  return { charges, outputs, calls, okCalls: calls.filter((c) => c.outcome === 'ok'), record, events };
}

/** A record in one of these is being processed, so its workflow must be running. */
const OPEN: readonly string[] = ['received', 'processing'];

/**
 * The invariants of the acceptance: the auditor's SQL checks (no double charge, no double output…)
 * and, for the records this test's Temporal server knows, nothing left open behind a closed workflow.
 */
export async function invariantViolations(stack: Stack): Promise<string[]> {
  const problems = (await sqlViolations(stack.db)).map((v) => `${v.invariant}: ${v.recordId}`);
  const open = await stack.db.record.findMany({ where: { status: { in: [...OPEN] } }, select: { id: true } });
  for (const { id } of open) {
    const description = await stack.env.client.workflow.getHandle(workflowIdFor(id)).describe().catch(() => undefined);
    if (!description || description.status.name === 'RUNNING') continue;
    // The row was read before the describe: a workflow that settled in between wrote its final
    // status before it closed, so only a row still open after the close is stuck.
    const now = await stack.db.record.findUnique({ where: { id }, select: { status: true } });
    if (now && OPEN.includes(now.status)) problems.push(`stuck: ${id} is open but its workflow is ${description.status.name}`);
  }
  return problems;
}

/** A record whose worker is killed right after the charge commits and again before persist: the crash test's, and its captured history's. */
export const CRASH_TWICE = {
  input: { text: 'The worker dies twice on the way.' },
  simulate: {
    faults: [
      { step: 'charge', when: 'after', kind: 'crash', times: 1 },
      { step: 'persist', when: 'before', kind: 'crash', times: 1 },
    ],
  },
} as const;

/** Every provider answers 5xx, more times than a chain of retries lasts: the record parks `exhausted` at inference. */
export const EVERY_PROVIDER_DOWN: FaultPlan['faults'] = [
  { provider: 'primary', status: 503, times: 10 },
  { provider: 'fallback', status: 500, times: 10 },
];
/** Every provider refuses the request: the record parks `non_retryable` at inference. */
export const EVERY_PROVIDER_REFUSES: FaultPlan['faults'] = [
  { provider: 'primary', status: 400, times: 1 },
  { provider: 'fallback', status: 400, times: 1 },
];
/** What an operator's `correct` writes in the tests. */
export const CORRECTION: ModelOutput = { summary: 'Corrected by a reviewer.', labels: ['reviewed'], confidence: 1 };
