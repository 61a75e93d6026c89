/**
 * Every failure type through the whole chain, as the SDK's own tests assert them: what the
 * workflow keeps in the parked record's investigation (step, reason, ApplicationFailure type), the
 * activity failure in the history (its retry state), and the ApplicationFailure at its end (type
 * and retryability).
 */
import { temporal } from '@temporalio/proto';
import { readFileSync } from 'node:fs';
import { FailureType, workflowIdFor, type RecordStatusView } from '../contract';
import { submit, uniqueId, waitForStatus } from './support/records';
import { requiredEnv, startStack, type Stack } from './support/stack';

const { EVENT_TYPE_ACTIVITY_TASK_FAILED, EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT } = temporal.api.enums.v1.EventType;
const { RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED, RETRY_STATE_NON_RETRYABLE_FAILURE } = temporal.api.enums.v1.RetryState;
const LOCAL_ACTIVITY_MARKER = 'core_local_activity';

let stack: Stack;
beforeAll(async () => {
  // A breaker that never opens in this file, so each provider's own failure reaches the end of the chain.
  stack = await startStack({ settings: { BREAKER_FAILURE_THRESHOLD: '1000', RETRY_MAXIMUM_ATTEMPTS: '3', STEP_TIMEOUT_MS: '1500' } });
});
afterAll(async () => {
  await stack?.stop();
});

interface Link {
  activityType: string;
  /** A local activity's chain is in its marker, with the attempt it ended on; a regular one's in its failed event, with its retry state. */
  local: boolean;
  attempt?: number;
  retryState?: number | null;
  type: string | null | undefined;
  nonRetryable: boolean | null | undefined;
  timeout: boolean;
}

/** The failures of the record's history, oldest first: one link per failed activity (regular or local). */
async function failureLinks(id: string): Promise<Link[]> {
  const history = await stack.env.client.workflow.getHandle(workflowIdFor(id)).fetchHistory();
  const scheduled = new Map<string, string>();
  const links: Link[] = [];
  for (const event of history.events ?? []) {
    const attrs = event.activityTaskScheduledEventAttributes;
    if (attrs) scheduled.set(String(event.eventId), attrs.activityType?.name ?? '');
    const marker = event.markerRecordedEventAttributes;
    if (marker?.markerName === LOCAL_ACTIVITY_MARKER && marker.failure) {
      const data = JSON.parse(Buffer.from(marker.details?.data?.payloads?.[0]?.data ?? []).toString()) as { activity_type: string; attempt: number };
      const info = marker.failure.applicationFailureInfo ?? marker.failure.cause?.applicationFailureInfo;
      links.push({
        activityType: data.activity_type,
        local: true,
        attempt: data.attempt,
        type: info?.type,
        nonRetryable: info?.nonRetryable ?? false,
        timeout: Boolean(marker.failure.timeoutFailureInfo ?? marker.failure.cause?.timeoutFailureInfo),
      });
    }
    const failed = event.eventType === EVENT_TYPE_ACTIVITY_TASK_FAILED ? event.activityTaskFailedEventAttributes : undefined;
    const timedOut = event.eventType === EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT ? event.activityTaskTimedOutEventAttributes : undefined;
    const ended = failed ?? timedOut;
    if (!ended) continue;
    const info = ended.failure?.applicationFailureInfo;
    links.push({
      activityType: scheduled.get(String(ended.scheduledEventId)) ?? '?',
      local: false,
      retryState: ended.retryState,
      type: info?.type,
      nonRetryable: info?.nonRetryable,
      timeout: Boolean(ended.failure?.timeoutFailureInfo),
    });
  }
  return links;
}

async function parked(simulate: unknown): Promise<{ id: string; view: RecordStatusView; last: Link | undefined }> {
  const id = uniqueId('chain');
  await submit(stack, id, 'Sodium 139 mmol/L.', simulate);
  const view = await waitForStatus(stack, id, 'needs_investigation');
  return { id, view, last: (await failureLinks(id)).at(-1) };
}

it('an injected fault in a local step: exhausted at its last attempt, the ApplicationFailure InjectedFault as thrown', async () => {
  const { view, last } = await parked({ faults: [{ step: 'charge', when: 'before', times: 10 }] });
  expect(view.investigation).toMatchObject({ step: 'charge', reason: 'exhausted', failureType: FailureType.InjectedFault, attempts: 3 });
  expect(last).toEqual({ activityType: 'charge', local: true, attempt: 3, type: FailureType.InjectedFault, nonRetryable: false, timeout: false });
});

it('an injected fault in the model call: exhausted, ActivityFailure with its retry state, ApplicationFailure InjectedFault', async () => {
  const { view, last } = await parked({ faults: [{ step: 'inference', when: 'before', times: 10 }] });
  expect(view.investigation).toMatchObject({ step: 'inference', reason: 'exhausted', failureType: FailureType.InjectedFault });
  expect(last).toEqual({ activityType: 'infer', local: false, retryState: RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED, type: FailureType.InjectedFault, nonRetryable: false, timeout: false });
});

it('a step that hangs past its timeout: exhausted, the chain ends in a TimeoutFailure, not an ApplicationFailure', async () => {
  const { view, last } = await parked({ faults: [{ step: 'persist', when: 'before', kind: 'timeout', times: 10 }] });
  expect(view.investigation).toMatchObject({ step: 'persist', reason: 'exhausted', failureType: 'TimeoutFailure' });
  expect(last).toMatchObject({ activityType: 'persist', local: true, timeout: true });
});

it('every provider answering 503: exhausted on the last provider, ApplicationFailure ProviderRetryable', async () => {
  const { view, last } = await parked({ faults: ['primary', 'fallback'].map((provider) => ({ provider, status: 503, times: 10 })) });
  expect(view.investigation).toMatchObject({ step: 'inference', reason: 'exhausted', failureType: FailureType.ProviderRetryable });
  expect(last).toEqual({ activityType: 'infer', local: false, retryState: RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED, type: FailureType.ProviderRetryable, nonRetryable: false, timeout: false });
});

it('every provider answering 400: non-retryable at once, ApplicationFailure ProviderRejected', async () => {
  const { id, view, last } = await parked({ faults: ['primary', 'fallback'].map((provider) => ({ provider, status: 400, times: 10 })) });
  expect(view.investigation).toMatchObject({ step: 'inference', reason: 'non_retryable', failureType: FailureType.ProviderRejected });
  expect(last).toEqual({ activityType: 'infer', local: false, retryState: RETRY_STATE_NON_RETRYABLE_FAILURE, type: FailureType.ProviderRejected, nonRetryable: true, timeout: false });
  // One attempt per provider: a rejection is never retried on the provider that rejected it.
  expect((await failureLinks(id)).map((l) => l.type)).toEqual([FailureType.ProviderRejected, FailureType.ProviderRejected]);
});

it('every provider answering malformed output: bounded retries, then non-retryable ProviderMalformed', async () => {
  const { view, last } = await parked({ faults: ['primary', 'fallback'].map((provider) => ({ provider, kind: 'malformed', times: 10 })) });
  expect(view.investigation).toMatchObject({ step: 'inference', reason: 'non_retryable', failureType: FailureType.ProviderMalformed });
  expect(last).toEqual({ activityType: 'infer', local: false, retryState: RETRY_STATE_NON_RETRYABLE_FAILURE, type: FailureType.ProviderMalformed, nonRetryable: true, timeout: false });
});

it("a parked record's stack trace names our workflow's file and line: the bundle maps its code without carrying the sources", async () => {
  const { id } = await parked({ faults: ['primary', 'fallback'].map((provider) => ({ provider, status: 400, times: 10 })) });
  const trace = await stack.env.client.workflow.getHandle(workflowIdFor(id)).query<string>('__stack_trace');
  expect(trace).toMatch(/workflows\/processRecord\.ts:\d+:\d+/);
  const bundle = readFileSync(requiredEnv('TEST_WORKFLOW_BUNDLE'), 'utf8');
  const sourceMap = JSON.parse(Buffer.from(bundle.slice(bundle.lastIndexOf('base64,') + 'base64,'.length), 'base64').toString()) as { sources: string[]; sourcesContent?: unknown };
  expect(sourceMap.sources).toEqual(expect.arrayContaining([expect.stringMatching(/workflows\/processRecord\.ts$/)]));
  expect(sourceMap.sourcesContent).toBeUndefined();
});

it('a workflow whose record row does not exist: non-retryable RecordNotFound, nothing charged', async () => {
  const id = uniqueId('no-row');
  await stack.env.client.workflow.start('processRecord', {
    workflowId: workflowIdFor(id),
    taskQueue: stack.config.temporal.taskQueue,
    args: [{ id, account: 'default', pipeline: stack.config.pipeline }],
  });
  const handle = stack.env.client.workflow.getHandle(workflowIdFor(id));
  let view: RecordStatusView | undefined;
  for (let i = 0; i < 300 && view?.status !== 'needs_investigation'; i++) {
    view = await handle.query<RecordStatusView>('status');
    if (view.status !== 'needs_investigation') await new Promise((r) => setTimeout(r, 100));
  }
  expect(view?.investigation).toMatchObject({ step: 'charge', reason: 'non_retryable', failureType: FailureType.RecordNotFound });
  expect((await failureLinks(id)).at(-1)).toEqual({ activityType: 'charge', local: true, attempt: 1, type: FailureType.RecordNotFound, nonRetryable: true, timeout: false });
  expect(await stack.db.charge.count({ where: { recordId: id } })).toBe(0);
  await handle.terminate('test cleanup');
});
