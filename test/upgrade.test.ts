/**
 * G10 as a deployment lives it (docs/versioning.md): records parked and in flight on version N (the
 * workflow code as it is now), every worker replaced by version N+1, then each record resolved. N+1
 * is a real change to processRecord's commands, shipped under the rule: RecordStep follows every
 * step (DESIGN §3 allows it), behind a patch. Records started on N replay N's branch to the end;
 * records started on N+1 take the new one; none sees a workflow task fail. The same change without
 * its patch fails N's histories, so the rule, not luck, is what keeps them running.
 */
import type { WorkflowHandle } from '@temporalio/client';
import { Worker, type WorkflowBundle } from '@temporalio/worker';
import { temporal } from '@temporalio/proto';
import { resolveSignal, resolveUpdate, statusQuery, workflowIdFor, type FaultPlan } from '../contract';
import { payloadDataConverter } from '../temporal/client';
import { bundleNextVersion, type Edit } from './support/next-version';
import { CORRECTION, EVERY_PROVIDER_DOWN, EVERY_PROVIDER_REFUSES, uniqueId, waitForStatus } from './support/records';
import { startStack, type Stack } from './support/stack';

const { EventType } = temporal.api.enums.v1;
type Fault = FaultPlan['faults'][number];

const NEXT_PATCH = 'step-follows-steps';
/** The change of N+1, decided once per workflow at its start like every patch of processRecord. */
const nextVersion = (decided: string): Edit[] => [
  {
    file: 'processRecord.ts',
    anchor: '  const { id, pipeline } = input;\n',
    replacement: `  const { id, pipeline } = input;\n  const stepFollows = ${decided};\n`,
  },
  {
    file: 'processRecord.ts',
    anchor: '    if (changed) upsertSearchAttributes(',
    replacement: '    if (!changed && stepFollows && step !== null) upsertSearchAttributes([{ key: recordStepKey, value: step }]);\n    if (changed) upsertSearchAttributes(',
  },
];

/** Open processRecord workflows of a version, as docs/versioning.md has an operator count them. */
const OPEN = `WorkflowType = 'processRecord' AND ExecutionStatus = 'Running'`;
const OPEN_ON = {
  v1: `${OPEN} AND TemporalChangeVersion IS NULL`,
  v2: `${OPEN} AND TemporalChangeVersion = 'lean-core' AND TemporalChangeVersion NOT IN ('${NEXT_PATCH}')`,
  v3: `${OPEN} AND TemporalChangeVersion = '${NEXT_PATCH}'`,
};


interface Scenario {
  name: string;
  text: string;
  faults?: Fault[];
  /** Where it parks (step and reason), or nothing for a record that runs to the end by itself. */
  parks?: { step: string; reason: string };
  resolve?: (handle: WorkflowHandle) => Promise<unknown>;
  /** Where its one result comes from. */
  source: 'model' | 'operator';
}

const retryByUpdate = (handle: WorkflowHandle) => handle.executeUpdate(resolveUpdate, { args: [{ action: 'retry' }, { keyId: null }] });
const approveByUpdate = (handle: WorkflowHandle) => handle.executeUpdate(resolveUpdate, { args: [{ action: 'approve' }, { keyId: null }] });

const PARKED_ON_N: Scenario[] = [
  { name: 'charge-exhausted', text: 'Calcium 2.4 mmol/L.', faults: [{ step: 'charge', when: 'before', kind: 'error', times: 10 }], parks: { step: 'charge', reason: 'exhausted' }, resolve: retryByUpdate, source: 'model' },
  { name: 'inference-exhausted', text: 'Albumin 40 g/L.', faults: EVERY_PROVIDER_DOWN, parks: { step: 'inference', reason: 'exhausted' }, resolve: (h) => h.signal(resolveSignal, { action: 'retry' }), source: 'model' },
  {
    name: 'inference-refused',
    text: 'Every provider refuses.',
    faults: EVERY_PROVIDER_REFUSES,
    parks: { step: 'inference', reason: 'non_retryable' },
    resolve: (h) => h.executeUpdate(resolveUpdate, { args: [{ action: 'correct', output: CORRECTION }, { keyId: null }] }),
    source: 'operator',
  },
  { name: 'low-confidence', text: 'Faint band [low-confidence]', parks: { step: 'inference', reason: 'low_confidence' }, resolve: approveByUpdate, source: 'model' },
  { name: 'persist-exhausted', text: 'Magnesium 0.9 mmol/L.', faults: [{ step: 'persist', when: 'before', kind: 'error', times: 10 }], parks: { step: 'persist', reason: 'exhausted' }, resolve: retryByUpdate, source: 'model' },
];
/** A slow model call: the records are at inference, their activity running, when the workers go. */
const IN_FLIGHT_ON_N: Scenario[] = ['in-flight-a', 'in-flight-b'].map((name) => ({ name, text: `Slow answer for ${name}.`, faults: [{ provider: 'primary', kind: 'slow', delayMs: 3000, times: 1 }], source: 'model' }));
const STARTED_ON_N1: Scenario[] = [
  { name: 'next-happy', text: 'Patient reports mild headache after exercise.', source: 'model' },
  { name: 'next-low-confidence', text: 'Ambiguous smear [low-confidence]', parks: { step: 'inference', reason: 'low_confidence' }, resolve: approveByUpdate, source: 'model' },
];

interface Started extends Scenario {
  id: string;
  handle: WorkflowHandle;
}

let stack: Stack;
let next: WorkflowBundle;
let unguarded: WorkflowBundle;

beforeAll(async () => {
  next = await bundleNextVersion(nextVersion(`patched('${NEXT_PATCH}')`));
  unguarded = await bundleNextVersion(nextVersion('true'));
  // The circuit breaker out of the way, so each record takes the path its plan describes.
  stack = await startStack({ settings: { BREAKER_FAILURE_THRESHOLD: '1000' } });
}, 180_000);
afterAll(async () => {
  await stack?.stop();
});

async function start(scenario: Scenario): Promise<Started> {
  const id = uniqueId(`upgrade-${scenario.name}`);
  const outcome = await stack.ingest('api', { id, input: { text: scenario.text }, ...(scenario.faults ? { simulate: { faults: scenario.faults } } : {}) });
  expect(outcome.outcome).toBe('accepted');
  return { ...scenario, id, handle: stack.env.client.workflow.getHandle(workflowIdFor(id)) };
}

async function parked(record: Started): Promise<void> {
  const view = await waitForStatus(stack, record.id, 'needs_investigation');
  expect(view.investigation).toMatchObject(record.parks ?? {});
}

/** Polls until the record's model call is running: a regular activity pending on its workflow. */
async function inferring(record: Started, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while ((await record.handle.describe()).raw.pendingActivities?.length !== 1) {
    if (Date.now() > deadline) throw new Error(`${record.name}: its model call did not start`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Polls a visibility count (eventually consistent) until it is `expected`; answers the last count. */
async function countOf(query: string, expected: number, timeoutMs = 20_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { count } = await stack.env.client.workflow.count(query);
    if (count === expected || Date.now() > deadline) return count;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

const markersOf = (events: temporal.api.history.v1.IHistoryEvent[]) =>
  events.filter((e) => e.eventType === EventType.EVENT_TYPE_MARKER_RECORDED && e.markerRecordedEventAttributes?.markerName === 'core_patch');

it('records parked and in flight on N finish on N+1: one charge and one result each, no workflow task failure', async () => {
  const parkedOnN = await Promise.all(PARKED_ON_N.map(start));
  await Promise.all(parkedOnN.map(parked));
  const inFlightOnN = await Promise.all(IN_FLIGHT_ON_N.map(start));
  await Promise.all(inFlightOnN.map((r) => inferring(r)));

  await stack.replaceWorkers(next);
  for (const r of inFlightOnN) expect([r.name, (await r.handle.describe()).status.name]).toEqual([r.name, 'RUNNING']);
  const onN = [...parkedOnN, ...inFlightOnN];

  const onN1 = await Promise.all(STARTED_ON_N1.map(start));
  await Promise.all(onN1.filter((r) => r.parks).map(parked));
  // The records that run to the end by themselves close first, since until then an in-flight one
  // counts as open on v2 too, and it stays open until the old workers report its model call's
  // attempt or that attempt reaches its start-to-close timeout (35 s), longer than countOf waits.
  await Promise.all([...onN, ...onN1].filter((r) => !r.parks).map((r) => r.handle.result()));
  // What an operator sees before resolving: the parked records of each version, none left on v1.
  expect(await countOf(OPEN_ON.v2, PARKED_ON_N.length)).toBe(PARKED_ON_N.length);
  expect(await countOf(OPEN_ON.v3, 1)).toBe(1);
  expect(await countOf(OPEN_ON.v1, 0)).toBe(0);
  // The v1 query's test, on a workflow that records no patch: it does count what it looks for.
  await stack.env.client.workflow.execute('reconcileRecords', {
    workflowId: uniqueId('upgrade-unpatched'),
    taskQueue: stack.config.temporal.taskQueue,
    // No row: the shared database holds other suites' records, which this Temporal has never seen.
    args: [{ quietForMs: 600_000, limit: 0 }],
  });
  expect(await countOf(`WorkflowType = 'reconcileRecords' AND TemporalChangeVersion IS NULL`, 1)).toBe(1);

  const all = [...onN, ...onN1];
  await Promise.all(all.flatMap((r) => (r.resolve ? [r.resolve(r.handle)] : [])));
  for (const r of all) {
    expect([r.name, (await r.handle.result()).status]).toEqual([r.name, 'completed']);
    const [charges, results] = await Promise.all([
      stack.db.charge.findMany({ where: { recordId: r.id } }),
      stack.db.recordResult.findMany({ where: { recordId: r.id }, select: { source: true } }),
    ]);
    expect([r.name, charges.length, results]).toEqual([r.name, 1, [{ source: r.source }]]);
    const events = (await r.handle.fetchHistory()).events ?? [];
    expect([r.name, events.filter((e) => e.eventType === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED).length]).toEqual([r.name, 0]);
    // N's records stayed on N's branch to the end; N+1's took the new one.
    const started = onN.includes(r) ? 'N' : 'N+1';
    expect([r.name, started, markersOf(events).length]).toEqual([r.name, started, started === 'N' ? 1 : 2]);
    expect(await r.handle.query(statusQuery)).toMatchObject({ status: 'completed' });
  }

  // The control: the change without its patch cannot replay what N's records did.
  const histories = await Promise.all(onN.map(async (r) => ({ workflowId: r.name, history: await r.handle.fetchHistory() })));
  const verdicts: string[] = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle: unguarded, dataConverter: payloadDataConverter(stack.config.temporal.payloadKeys) }, histories)) {
    verdicts.push(`${result.workflowId}: ${result.error?.name ?? 'replayed'}`);
  }
  expect(verdicts.sort()).toEqual(onN.map((r) => `${r.name}: DeterminismViolationError`).sort());
}, 240_000);
