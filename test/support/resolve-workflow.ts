/**
 * A stand-in for the record workflow's `resolve` Update (DESIGN §3), registered as `processRecord`
 * on a task queue of the test's own: what the API's resolve route needs from the workflow, and no
 * more. It waits for the test to park it (`park`), then takes one `resolve` through the Update: the
 * validator refuses what the contract refuses, the handler ends the record and returns its view.
 */
import { condition, defineQuery, defineSignal, setHandler } from '@temporalio/workflow';
import {
  makeResolveSchema,
  resolveUpdate,
  statusQuery,
  type InvestigationReason,
  type ProcessRecordInput,
  type RecordStatusView,
  type ResolveContext,
  type Step,
} from '../../contract';

export const parkSignal = defineSignal<[{ step: Step; reason: InvestigationReason }]>('park');
/** The key the accepted Update named: what the real workflow records as the operator. */
export const resolvedByQuery = defineQuery<string | null>('resolvedBy');

export async function processRecord({ id }: ProcessRecordInput): Promise<RecordStatusView> {
  const view: RecordStatusView = { id, status: 'processing', step: 'charge', attempts: 1, lastError: null, investigation: null };
  let resolvedBy: string | null = null;
  let done = false;
  setHandler(statusQuery, () => view);
  setHandler(resolvedByQuery, () => resolvedBy);
  setHandler(parkSignal, ({ step, reason }) => {
    Object.assign(view, { status: 'needs_investigation', step, lastError: `parked by the test: ${reason}` });
    view.investigation = { step, reason, lastError: view.lastError, failureType: null, attempts: 1 };
  });
  setHandler(
    resolveUpdate,
    (payload: unknown, context?: ResolveContext) => {
      const action = makeResolveSchema().parse(payload);
      resolvedBy = context?.keyId ?? null;
      Object.assign(view, { status: action.action === 'abandon' ? 'failed' : 'completed', step: null, investigation: null });
      done = true;
      return Promise.resolve(view);
    },
    {
      validator: (payload: unknown, _context?: ResolveContext) => {
        const action = makeResolveSchema().parse(payload);
        const concern = view.investigation;
        if (view.status !== 'needs_investigation' || !concern) throw new Error(`record is ${view.status}, not waiting for an operator`);
        if (action.action === 'retry' && concern.reason === 'low_confidence') throw new Error('retry is refused for a low-confidence output: approve or correct it');
        if (action.action === 'approve' && concern.reason !== 'low_confidence') throw new Error(`approve is only for low_confidence, not ${concern.reason}`);
        if (action.action === 'correct' && concern.step !== 'inference') throw new Error(`correct is only for a record parked at inference, not ${concern.step}`);
      },
    },
  );
  await condition(() => done);
  return view;
}
