/**
 * Histories of every path a record takes on the current workflow code, from in-process workers
 * (capture.ts says where they go). Each test drives one record down its path and checks that it
 * took it, so a capture that silently went elsewhere fails instead of storing the wrong history.
 */
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { createIngest, type Ingest } from '../../ingest';
import { ingestSettings } from '../../ingest/settings';
import { globalIdOf, resolveSignal, resolveUpdate, workflowIdFor, type FaultPlan, type PipelineOptions } from '../../contract';
import { createAccount, uniqueAccount } from '../support/accounts';
import { CORRECTION, EVERY_PROVIDER_DOWN, EVERY_PROVIDER_REFUSES, ledgerOf, uniqueId } from '../support/records';
import { startStack, type Stack } from '../support/stack';
import { capture, CAPTURE_VERSION, captureSettings, report, waitForView, waitIdle } from './capture';

type Fault = FaultPlan['faults'][number];

let stack: Stack;
beforeAll(async () => {
  stack = await startStack({ settings: captureSettings });
});
afterAll(async () => {
  await stack?.stop();
  console.log(report());
});

/** An ingest whose records start with other pipeline options (DEGRADATION, OUTPUT_REUSE are read at ingest). */
const ingestWith = (pipeline: Partial<PipelineOptions>): Ingest =>
  createIngest({ ...ingestSettings(stack.config, stack.db, stack.env.client), pipeline: { ...stack.config.pipeline, ...pipeline } });

/** Starts a record; answers its id and its workflow's handle. */
async function start(name: string, text: string, faults?: Fault[], ingest: Ingest = stack.ingest) {
  const id = uniqueId(`${CAPTURE_VERSION}-${name}`);
  const outcome = await ingest('api', { id, input: { text }, ...(faults ? { simulate: { faults } } : {}) });
  expect(outcome.outcome).toBe('accepted');
  return { id, wid: workflowIdFor(id), handle: stack.env.client.workflow.getHandle(workflowIdFor(id)) };
}

const update = (wid: string, payload: unknown) => stack.env.client.workflow.getHandle(wid).executeUpdate(resolveUpdate, { args: [payload, { keyId: null }] });
const signal = (wid: string, payload: unknown) => stack.env.client.workflow.getHandle(wid).signal(resolveSignal, payload);

/** One record and its one result, by the tier and source given. */
async function expectOneResult(id: string, source: string, tier: string): Promise<void> {
  const ledger = await ledgerOf(stack, id);
  expect(ledger.charges).toHaveLength(1);
  expect(await stack.db.recordResult.findMany({ where: { recordId: id }, select: { source: true, tier: true } })).toEqual([{ source, tier }]);
}

describe('to the end without an operator', () => {
  const straight = (name: string, text: string, faults?: Fault[]) =>
    it(name, async () => {
      const { id, wid, handle } = await start(name, text, faults);
      expect((await handle.result()).status).toBe('completed');
      await expectOneResult(id, 'model', 'model');
      await capture(stack.env.client, name, wid);
    });

  straight('happy', 'Patient reports mild headache after exercise.');
  // Step faults (DESIGN §8) on the local steps and on the model step.
  straight('charge-before-error', 'Hemoglobin 13.2 g/dL.', [{ step: 'charge', when: 'before', kind: 'error', times: 2 }]);
  straight('charge-after-error', 'Hemoglobin 13.4 g/dL.', [{ step: 'charge', when: 'after', kind: 'error', times: 1 }]);
  straight('charge-before-timeout', 'Urea 5.0 mmol/L.', [{ step: 'charge', when: 'before', kind: 'timeout', times: 1 }]);
  straight('inference-before-error', 'Glucose 5.4 mmol/L fasting.', [{ step: 'inference', when: 'before', kind: 'error', times: 2 }]);
  straight('inference-after-error', 'Glucose 5.6 mmol/L fasting.', [{ step: 'inference', when: 'after', kind: 'error', times: 1 }]);
  straight('inference-before-timeout', 'Glucose 5.8 mmol/L fasting.', [{ step: 'inference', when: 'before', kind: 'timeout', times: 1 }]);
  straight('persist-before-error', 'Creatinine 80 umol/L.', [{ step: 'persist', when: 'before', kind: 'error', times: 2 }]);
  straight('persist-after-error', 'Creatinine 82 umol/L.', [{ step: 'persist', when: 'after', kind: 'error', times: 1 }]);
  straight('persist-after-timeout', 'Urea 5.2 mmol/L.', [{ step: 'persist', when: 'after', kind: 'timeout', times: 1 }]);
  // Persist commits, then every attempt fails: the park finds the record completed, no operator needed.
  straight('persist-after-exhausted-completed', 'Committed, never acknowledged.', [{ step: 'persist', when: 'after', kind: 'error', times: 10 }]);
  // Provider faults, served over HTTP by the simulator.
  straight('provider-503-twice', 'Troponin below threshold.', [{ provider: 'primary', status: 503, times: 2 }]);
  straight('provider-timeout', 'Troponin at threshold.', [{ provider: 'primary', kind: 'timeout', times: 1 }]);
  straight('provider-malformed-once', 'Malformed once.', [{ provider: 'primary', kind: 'malformed', times: 1 }]);
  straight('provider-malformed-fallback', 'Malformed on every attempt, then fallback.', [{ provider: 'primary', kind: 'malformed', times: 10 }]);
  straight('provider-slow', 'Slow answer.', [{ provider: 'primary', kind: 'slow', delayMs: 1000, times: 1 }]);
  straight('provider-almost-json', 'An answer with a JSON slip.', [{ provider: 'primary', kind: 'almost_json', times: 1 }]);
  straight('provider-400-fallback', 'Culture negative at 48 hours.', [{ provider: 'primary', status: 400, times: 1 }]);
  straight('provider-exhausted-fallback', 'Primary down for good.', [{ provider: 'primary', status: 503, times: 10 }]);
});

describe('parked, then resolved by an operator', () => {
  /** Parks at `step` for `reason`, is resolved by `resolve`, and ends as `status`; answers the record's id. */
  async function resolved(name: string, text: string, faults: Fault[] | undefined, parkedAt: { step: string; reason: string }, resolve: (wid: string) => Promise<unknown>, status: string) {
    const { id, wid, handle } = await start(name, text, faults);
    const parked = await waitForView(stack.env.client, wid, 'needs_investigation', parkedAt.step);
    expect(parked.investigation).toMatchObject(parkedAt);
    await resolve(wid);
    expect((await handle.result()).status).toBe(status);
    await capture(stack.env.client, name, wid);
    return id;
  }
  const exhaustedAt = (step: string) => ({ step, reason: 'exhausted' });
  const lowConfidence = { step: 'inference', reason: 'low_confidence' };

  it('inference-exhausted-retry-update', async () => {
    const id = await resolved('inference-exhausted-retry-update', 'Every provider is down.', EVERY_PROVIDER_DOWN, exhaustedAt('inference'), (wid) => update(wid, { action: 'retry' }), 'completed');
    await expectOneResult(id, 'model', 'model');
  });
  it('inference-exhausted-retry-signal', async () => {
    const id = await resolved('inference-exhausted-retry-signal', 'Every provider is down again.', EVERY_PROVIDER_DOWN, exhaustedAt('inference'), (wid) => signal(wid, { action: 'retry' }), 'completed');
    await expectOneResult(id, 'model', 'model');
  });
  it('persist-exhausted-abandon-update', async () => {
    const faults: Fault[] = [{ step: 'persist', when: 'before', kind: 'error', times: 10 }];
    const id = await resolved('persist-exhausted-abandon-update', 'Sodium 139 mmol/L.', faults, exhaustedAt('persist'), (wid) => update(wid, { action: 'abandon', reason: 'duplicate lab order' }), 'failed');
    const ledger = await ledgerOf(stack, id);
    expect(ledger.charges.map((c) => c.status)).toEqual(['refunded']);
  });
  it('charge-exhausted-abandon-signal', async () => {
    const faults: Fault[] = [{ step: 'charge', when: 'before', kind: 'error', times: 10 }];
    const id = await resolved('charge-exhausted-abandon-signal', 'Sodium 141 mmol/L.', faults, exhaustedAt('charge'), (wid) => signal(wid, { action: 'abandon', reason: 'billing down' }), 'failed');
    expect((await ledgerOf(stack, id)).charges).toEqual([]);
  });
  it('provider-low-confidence-approve-update', async () => {
    const faults: Fault[] = [{ provider: 'primary', kind: 'low_confidence', times: 1 }];
    const id = await resolved('provider-low-confidence-approve-update', 'Faint band on the gel.', faults, lowConfidence, (wid) => update(wid, { action: 'approve' }), 'completed');
    await expectOneResult(id, 'model', 'model');
  });
  it('low-confidence-approve-signal', async () => {
    const id = await resolved('low-confidence-approve-signal', 'Ambiguous smear [low-confidence]', undefined, lowConfidence, (wid) => signal(wid, { action: 'approve' }), 'completed');
    await expectOneResult(id, 'model', 'model');
  });
  it('low-confidence-correct-update', async () => {
    const id = await resolved('low-confidence-correct-update', 'Ambiguous film [low-confidence]', undefined, lowConfidence, (wid) => update(wid, { action: 'correct', output: CORRECTION }), 'completed');
    await expectOneResult(id, 'operator', 'model');
  });
  it('inference-failed-correct-update', async () => {
    const parkedAt = { step: 'inference', reason: 'non_retryable' };
    const id = await resolved('inference-failed-correct-update', 'Every provider refuses.', EVERY_PROVIDER_REFUSES, parkedAt, (wid) => update(wid, { action: 'correct', output: CORRECTION }), 'completed');
    expect((await stack.db.recordResult.findMany({ where: { recordId: id } })).map((r) => r.source)).toEqual(['operator']);
  });

  it('rejected-signals-and-update-then-retry', async () => {
    const name = 'rejected-signals-and-update-then-retry';
    const { id, wid, handle } = await start(name, 'Chloride 101 mmol/L.', [
      { provider: 'primary', kind: 'slow', delayMs: 3000, times: 1 },
      { step: 'persist', when: 'before', kind: 'error', times: 10 },
    ]);
    await waitForView(stack.env.client, wid, 'processing', 'inference');
    await signal(wid, { action: 'retry' }); // not parked: refused, and recorded
    await waitForView(stack.env.client, wid, 'needs_investigation', 'persist');
    await signal(wid, { action: 'explode' }); // not an action: refused, and recorded
    const events = await waitIdle(stack.env.client, wid);
    // Refused by the Update's validator: the caller hears why, and the history does not change.
    await expect(update(wid, { action: 'approve' })).rejects.toBeInstanceOf(WorkflowUpdateFailedError);
    expect((await handle.fetchHistory()).events).toHaveLength(events);
    const rejected = (await ledgerOf(stack, id)).events.filter((e) => (e.detail as { rejectedSignal?: string } | null)?.rejectedSignal === 'resolve');
    expect(rejected).toHaveLength(2);
    await update(wid, { action: 'retry' });
    expect((await handle.result()).status).toBe('completed');
    await capture(stack.env.client, name, wid);
  });
});

describe('degradation tiers (DEGRADATION=cache,rules) with every provider failing', () => {
  let degrading: Ingest;
  beforeAll(() => {
    degrading = ingestWith({ degradation: ['cache', 'rules'] });
  });

  it('degradation-cache', async () => {
    const text = 'Thyroid stimulating hormone 2.1 mU/L.';
    const seed = await start('degradation-cache-seed', text, undefined, degrading);
    expect((await seed.handle.result()).status).toBe('completed');
    const { id, wid, handle } = await start('degradation-cache', text, EVERY_PROVIDER_DOWN, degrading);
    expect((await handle.result()).status).toBe('completed');
    await expectOneResult(id, 'cache', 'cache');
    await capture(stack.env.client, 'degradation-cache', wid);
  });

  it('degradation-rules-approve-update', async () => {
    const name = 'degradation-rules-approve-update';
    const { id, wid, handle } = await start(name, 'Potassium 6.9 mmol/L, critical, phoned to the ward.', EVERY_PROVIDER_DOWN, degrading);
    const parked = await waitForView(stack.env.client, wid, 'needs_investigation', 'inference');
    expect(parked.investigation?.reason).toBe('low_confidence');
    await update(wid, { action: 'approve' });
    expect((await handle.result()).status).toBe('completed');
    await expectOneResult(id, 'rules', 'rules');
    await capture(stack.env.client, name, wid);
  });
});

it('output-reuse-always', async () => {
  const text = 'Vitamin B12 350 pmol/L.';
  const seed = await start('output-reuse-seed', text);
  expect((await seed.handle.result()).status).toBe('completed');
  const { id, wid, handle } = await start('output-reuse-always', text, undefined, ingestWith({ reuseOutputs: true }));
  expect((await handle.result()).status).toBe('completed');
  await expectOneResult(id, 'cache', 'cache');
  expect((await ledgerOf(stack, id)).calls).toEqual([]);
  await capture(stack.env.client, 'output-reuse-always', wid);
});

describe('left open, parked: the records a deployment of the next version finds waiting', () => {
  const parkedOpen = (name: string, text: string, faults: Fault[] | undefined, step: string, reason: string) =>
    it(name, async () => {
      const { wid } = await start(name, text, faults);
      expect((await waitForView(stack.env.client, wid, 'needs_investigation', step)).investigation).toMatchObject({ step, reason });
      await capture(stack.env.client, name, wid, 'RUNNING');
    });

  parkedOpen('parked-charge-exhausted', 'Calcium 2.4 mmol/L.', [{ step: 'charge', when: 'before', kind: 'error', times: 10 }], 'charge', 'exhausted');
  parkedOpen('parked-inference-exhausted', 'Albumin 40 g/L.', EVERY_PROVIDER_DOWN, 'inference', 'exhausted');
  parkedOpen('parked-low-confidence', 'Faint band [low-confidence]', undefined, 'inference', 'low_confidence');
  parkedOpen('parked-persist-exhausted', 'Magnesium 0.9 mmol/L.', [{ step: 'persist', when: 'before', kind: 'error', times: 10 }], 'persist', 'exhausted');

  it('parked-after-rejected-signal', async () => {
    const name = 'parked-after-rejected-signal';
    const { wid } = await start(name, 'Ferritin 120 ug/L.', [{ step: 'persist', when: 'before', kind: 'error', times: 10 }]);
    await waitForView(stack.env.client, wid, 'needs_investigation', 'persist');
    await signal(wid, { action: 'explode' });
    await capture(stack.env.client, name, wid, 'RUNNING');
  });
});

it('reconcile-records', async () => {
  const handle = await stack.env.client.workflow.start('reconcileRecords', {
    workflowId: uniqueId(`${CAPTURE_VERSION}-reconcile`),
    taskQueue: stack.config.temporal.taskQueue,
    args: [{ quietForMs: 60_000, limit: 100 }],
  });
  await handle.result();
  await capture(stack.env.client, 'reconcile-records', handle.workflowId);
});

describe('in an account of its own, with encrypted payloads', () => {
  // A record of a non-default account: its workflow id and idempotency keys carry the account, and
  // every payload is encrypted with the tests' key, so the replay test decodes what it replays.
  it('account-happy', async () => {
    const name = 'account-happy';
    const account = await createAccount(stack, { id: uniqueAccount('capture') });
    const key = uniqueId(`${CAPTURE_VERSION}-${name}`);
    expect((await stack.ingest('api', { id: key, input: { text: 'Ferritin 45 ug/L.' } }, account)).outcome).toBe('accepted');
    const wid = workflowIdFor(globalIdOf(account, key));
    expect((await stack.env.client.workflow.getHandle(wid).result()).status).toBe('completed');
    await expectOneResult(globalIdOf(account, key), 'model', 'model');
    await capture(stack.env.client, name, wid);
  });
});
