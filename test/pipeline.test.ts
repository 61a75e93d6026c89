/**
 * The self-healing pipeline through the real workflow, real PostgreSQL, the provider simulator
 * over HTTP and the real API (DESIGN G1–G4, §3, §4, §8).
 */
import { WorkflowFailedError } from '@temporalio/client';
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { createLedgerBilling, type BillingProvider, type ChargeRequest } from '../billing';
import { recordStatusKey, workflowIdFor } from '../contract';
import { invariantViolations, ledgerOf, post, result, submit, uniqueId, waitForStatus } from './support/records';
import { startStack, type Stack } from './support/stack';

/** The ledger, with a log of what reached the billing provider: a call "took effect" once per key. */
function recordingBilling(): BillingProvider & { charges: ChargeRequest[] } {
  const ledger = createLedgerBilling();
  const charges: ChargeRequest[] = [];
  return {
    ...ledger,
    // A provider the charge is reported to, so the test sees what reached it.
    reportsCharges: true,
    charges,
    charge: async (request) => {
      charges.push(request);
      return ledger.charge(request);
    },
  };
}

let stack: Stack;
const billing = recordingBilling();

beforeAll(async () => {
  stack = await startStack({ billing });
});
afterAll(async () => {
  await stack?.stop();
});
afterEach(async () => {
  expect(await invariantViolations(stack)).toEqual([]);
});

/** Asynchronous: the CLI calls this process's API (its codec endpoint), which a blocked event loop could not answer. */
function temporalCli(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', resolve(__dirname, '../dev/bin/temporal.ts'), ...args], {
    env: {
      ...process.env,
      TEMPORAL_ADDRESS: stack.env.address,
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_CLI_PATH: process.env.TEST_TEMPORAL_CLI,
      // The API whose codec endpoint the CLI goes through.
      DI_API_URL: stack.baseUrl,
      DI_API_KEY: stack.apiKey,
    },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((done) => child.once('close', (status) => done({ status, stdout, stderr })));
}

async function searchByStatus(id: string, status: string): Promise<string[]> {
  const query = `${recordStatusKey.name}="${status}" AND WorkflowId="${workflowIdFor(id)}"`;
  for (let i = 0; i < 100; i++) {
    const found: string[] = [];
    for await (const wf of stack.env.client.workflow.list({ query })) found.push(wf.workflowId);
    if (found.length > 0) return found;
    await new Promise((r) => setTimeout(r, 100));
  }
  return [];
}

describe('a clean record', () => {
  it('is charged once, inferred once, completed, and every transition is in the audit trail', async () => {
    const id = uniqueId('clean');
    const accepted = await submit(stack, id, 'Patient reports mild headache after exercise.');
    expect(accepted).toEqual({ status: 202, body: { id, workflowId: `record-${id}`, status: 'received', duplicate: false } });
    expect((await result(stack, id)).status).toBe('completed');
    const ledger = await ledgerOf(stack, id);
    expect(ledger.record).toMatchObject({ status: 'completed', step: null, source: 'api' });
    expect(ledger.charges).toHaveLength(1);
    expect(ledger.charges[0]).toMatchObject({ idempotencyKey: `charge-${id}`, status: 'charged', amountCents: 5 });
    expect(ledger.outputs).toHaveLength(1);
    expect(ledger.outputs[0]?.idempotencyKey).toBe(`infer-${id}`);
    expect(ledger.okCalls).toHaveLength(1);
    expect(ledger.events.map((e) => [e.fromStatus, e.toStatus, e.step])).toEqual([
      ['received', 'processing', 'charge'],
      ['processing', 'processing', 'inference'],
      ['processing', 'processing', 'persist'],
      ['processing', 'completed', null],
    ]);
    expect(await searchByStatus(id, 'completed')).toEqual([`record-${id}`]);
  });
});

describe('the ambiguous case: side effects committed, then the attempt is lost', () => {
  it('inference after ×1 and persist after ×2 still give one charge, one output and one model call', async () => {
    const id = uniqueId('ambiguous');
    await submit(stack, id, 'Glucose 5.4 mmol/L fasting.', {
      faults: [
        { step: 'inference', when: 'after', times: 1 },
        { step: 'persist', when: 'after', times: 2 },
      ],
    });
    expect((await result(stack, id)).status).toBe('completed');
    const ledger = await ledgerOf(stack, id);
    expect(ledger.charges).toHaveLength(1);
    expect(ledger.outputs).toHaveLength(1);
    expect(ledger.okCalls).toHaveLength(1);
    expect(ledger.calls).toHaveLength(1);
  });

  it('persist whose commit lands but whose every attempt then fails ends completed, not parked behind a completed row', async () => {
    const id = uniqueId('persist-after-all');
    await submit(stack, id, 'Committed, never acknowledged.', { faults: [{ step: 'persist', when: 'after', times: 50 }] });
    expect((await result(stack, id)).status).toBe('completed');
    const ledger = await ledgerOf(stack, id);
    expect(ledger.record).toMatchObject({ status: 'completed' });
    expect(ledger.charges).toHaveLength(1);
    expect(ledger.events.filter((e) => e.toStatus === 'needs_investigation')).toHaveLength(0);
  });

  it('charge after ×1 reaches the billing provider once with charge-<id>', async () => {
    const id = uniqueId('charge-after');
    await submit(stack, id, 'Hemoglobin 13.2 g/dL.', { faults: [{ step: 'charge', when: 'after', times: 1 }] });
    expect((await result(stack, id)).status).toBe('completed');
    const ledger = await ledgerOf(stack, id);
    expect(ledger.charges).toHaveLength(1);
    expect(billing.charges.filter((c) => c.recordId === id)).toEqual([
      { key: `charge-${id}`, recordId: id, accountId: 'default', customerId: null, amountCents: 5, currency: 'usd' },
    ]);
  });
});

describe('exhaustion and the operator', () => {
  const exhaustPersist = { faults: [{ step: 'persist', when: 'before', times: 50 }] };

  it('parks the record, findable by search attribute, and a retry sent with the Temporal CLI completes it', async () => {
    const id = uniqueId('exhausted');
    await submit(stack, id, 'Potassium 4.1 mmol/L.', exhaustPersist);
    const parked = await waitForStatus(stack, id, 'needs_investigation');
    expect(parked).toMatchObject({ step: 'persist', attempts: 5, investigation: { step: 'persist', reason: 'exhausted', attempts: 5 } });
    expect(parked.lastError).toContain('injected error before persist');
    expect((await ledgerOf(stack, id)).record).toMatchObject({ status: 'needs_investigation', step: 'persist', attempts: 5, reason: 'exhausted' });
    expect(await searchByStatus(id, 'needs_investigation')).toEqual([`record-${id}`]);

    const cli = await temporalCli('workflow', 'signal', '--workflow-id', workflowIdFor(id), '--name', 'resolve', '--input', '{"action":"retry"}');
    expect({ status: cli.status, stderr: cli.stderr }).toEqual({ status: 0, stderr: expect.not.stringMatching(/error/i) });
    expect((await result(stack, id)).status).toBe('completed');
    // The CLI encrypted the signal through the codec endpoint, and reads the history decrypted.
    const { history } = await stack.env.client.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: workflowIdFor(id) } });
    const signal = history?.events?.find((e) => e.workflowExecutionSignaledEventAttributes)?.workflowExecutionSignaledEventAttributes?.input?.payloads?.[0];
    expect(Buffer.from(signal?.metadata?.encoding ?? []).toString()).toBe('binary/encrypted');
    const shown = await temporalCli('workflow', 'show', '--workflow-id', workflowIdFor(id), '--output', 'json');
    expect(shown.status).toBe(0);
    expect(shown.stdout).toContain(`"data": "${Buffer.from('{"action":"retry"}').toString('base64')}"`);
    const ledger = await ledgerOf(stack, id);
    expect(ledger.charges).toHaveLength(1);
    expect(ledger.events.filter((e) => e.actor === 'operator').map((e) => [e.fromStatus, e.toStatus])).toEqual([['needs_investigation', 'processing']]);
  });

  it('abandon refunds exactly once and ends failed; a second abandon is refused', async () => {
    const id = uniqueId('abandoned');
    await submit(stack, id, 'Sodium 139 mmol/L.', exhaustPersist);
    await waitForStatus(stack, id, 'needs_investigation');
    const first = await post(stack, `/v1/records/${id}/resolve`, { action: 'abandon', reason: 'duplicate lab order' });
    expect(first).toMatchObject({ status: 200, body: { id, status: 'failed' } });
    expect((await result(stack, id)).status).toBe('failed');
    const second = await post(stack, `/v1/records/${id}/resolve`, { action: 'abandon', reason: 'again' });
    expect(second.status).toBe(409);
    const handle = stack.env.client.workflow.getHandle(workflowIdFor(id));
    await expect(handle.signal('resolve', { action: 'abandon', reason: 'again' })).rejects.toThrow(/completed|not found/i);
    const ledger = await ledgerOf(stack, id);
    expect(ledger.charges).toHaveLength(1);
    expect(ledger.charges[0]).toMatchObject({ status: 'refunded', refundKey: `refund-${id}` });
    expect(ledger.record).toMatchObject({ status: 'failed', reason: 'duplicate lab order' });
    expect(ledger.events.filter((e) => e.toStatus === 'failed')).toHaveLength(1);
  });

  it('rejects an invalid resolve payload, records it, and keeps waiting', async () => {
    const id = uniqueId('bad-signal');
    await submit(stack, id, 'Chloride 101 mmol/L.', exhaustPersist);
    await waitForStatus(stack, id, 'needs_investigation');
    const handle = stack.env.client.workflow.getHandle(workflowIdFor(id));
    await handle.signal('resolve', { action: 'explode' });
    await handle.signal('resolve', { action: 'abandon' });
    const rejected = async () => (await ledgerOf(stack, id)).events.filter((e) => (e.detail as { rejectedSignal?: string } | null)?.rejectedSignal === 'resolve');
    for (let i = 0; i < 100 && (await rejected()).length < 2; i++) await new Promise((r) => setTimeout(r, 50));
    // Each rejection is recorded by an activity of its own, so the two rows may land in either order.
    const problems = (await rejected()).map((e) => (e.detail as { problem: string }).problem);
    expect(problems).toHaveLength(2);
    expect(problems).toEqual(expect.arrayContaining([expect.stringContaining('action'), expect.stringContaining('reason')]));
    expect((await waitForStatus(stack, id, 'needs_investigation')).status).toBe('needs_investigation');
    await handle.signal('resolve', { action: 'retry' });
    expect((await result(stack, id)).status).toBe('completed');
  });
});

describe('duplicate starts (G1)', () => {
  it('20 concurrent POSTs with one id start one workflow and charge once', async () => {
    const id = uniqueId('dup');
    const answers = await Promise.all(Array.from({ length: 20 }, () => submit(stack, id, 'Same text, same record.')));
    expect(answers.filter((a) => a.status === 202)).toHaveLength(1);
    expect(answers.filter((a) => a.status === 200 && a.body.duplicate === true)).toHaveLength(19);
    expect((await result(stack, id)).status).toBe('completed');
    const runs: string[] = [];
    for await (const wf of stack.env.client.workflow.list({ query: `WorkflowId="${workflowIdFor(id)}"` })) runs.push(wf.runId);
    expect(runs).toHaveLength(1);
    expect((await ledgerOf(stack, id)).charges).toHaveLength(1);
  });

  it('the same id after completion is a duplicate and starts nothing; a different input is a conflict', async () => {
    const id = uniqueId('after-close');
    await submit(stack, id, 'First and only.');
    await result(stack, id);
    const again = await submit(stack, id, 'First and only.');
    expect(again).toMatchObject({ status: 200, body: { duplicate: true, status: 'completed' } });
    const conflict = await submit(stack, id, 'Something else.');
    expect(conflict.status).toBe(409);
    expect((await ledgerOf(stack, id)).charges).toHaveLength(1);
  });

  it('a closed run whose history Temporal dropped is still not started again: the row is the key', async () => {
    const id = uniqueId('retention');
    await submit(stack, id, 'Retained only in PostgreSQL.');
    await result(stack, id);
    await stack.env.client.workflowService.deleteWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId: workflowIdFor(id) } });
    const gone = async () => stack.env.client.workflow.getHandle(workflowIdFor(id)).describe().then(() => false, () => true);
    // The server deletes asynchronously (about 30 s on the dev server).
    for (let i = 0; i < 600 && !(await gone()); i++) await new Promise((r) => setTimeout(r, 100));
    expect(await gone()).toBe(true);
    expect(await submit(stack, id, 'Retained only in PostgreSQL.')).toMatchObject({ status: 200, body: { duplicate: true } });
    await expect(stack.env.client.workflow.getHandle(workflowIdFor(id)).describe()).rejects.toThrow();
  });
});

describe('failures the workflow must not swallow', () => {
  it('a workflow that is terminated surfaces as WorkflowFailedError, and its record is not left pretending', async () => {
    const id = uniqueId('terminated');
    await submit(stack, id, 'Will be terminated.', { faults: [{ step: 'persist', when: 'before', times: 50 }] });
    await waitForStatus(stack, id, 'needs_investigation');
    const handle = stack.env.client.workflow.getHandle(workflowIdFor(id));
    await handle.terminate('test');
    await expect(handle.result()).rejects.toBeInstanceOf(WorkflowFailedError);
    expect((await ledgerOf(stack, id)).record?.status).toBe('needs_investigation');
  });
});
