/**
 * The operator's side of a parked record (DESIGN §3, §12): the `resolve` signal (the Temporal CLI)
 * and the `resolve` Update (the HTTP API, the console, `npm run ops`) carry the same actions; the
 * Update's validator refuses what does not fit before anything is written, the signal's refusals
 * are recorded as events. The workflow takes one decision per parking and says when it has been
 * carried out, which is when an Update returns the record's new state.
 */
import { condition, setHandler } from '@temporalio/workflow';
import {
  makeResolveSchema,
  resolveSignal,
  resolveUpdate,
  statusQuery,
  type Concern,
  type RecordStatusView,
  type ResolveAction,
  type ResolveContext,
} from '../contract';

export interface Resolution {
  action: ResolveAction;
  keyId: string | null;
}

/** Why `payload` cannot resolve the record as it stands, or undefined when it can. */
export function problemWith(payload: unknown, view: RecordStatusView, concern: Concern | undefined, pending: boolean): string | undefined {
  const parsed = makeResolveSchema().safeParse(payload);
  if (!parsed.success) return parsed.error.issues.map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`).join('; ');
  if (pending) return 'record is already resolved; its decision is being carried out';
  if (!concern || view.status !== 'needs_investigation') return `record is ${view.status}, not waiting for an operator`;
  const { action } = parsed.data;
  const lowConfidence = concern.reason === 'low_confidence';
  if (action === 'approve' && !lowConfidence) return `approve is only for a record parked for low confidence; this one is ${concern.reason} at ${concern.step}`;
  if (action === 'retry' && lowConfidence) return 'the output is below the confidence threshold: approve it or correct it (a retry would not call the model again)';
  if (action === 'correct' && concern.step !== 'inference') return `correct is only for a record parked at inference; this one is parked at ${concern.step}`;
  return undefined;
}

export function createOperatorDesk(view: RecordStatusView, recordRejectedSignal: (payload: unknown, problem: string) => Promise<void>) {
  let concern: Concern | undefined;
  let pending: Resolution | undefined;
  /** A decision was taken and its effect is not visible yet: a second one is refused, an Update waits. */
  let carrying = false;
  let settled = 0;

  const problem = (payload: unknown) => problemWith(payload, view, concern, pending !== undefined || carrying);
  const accept = (payload: unknown, context: ResolveContext | undefined): number => {
    pending = { action: makeResolveSchema().parse(payload), keyId: context?.keyId ?? null };
    return settled;
  };

  setHandler(statusQuery, () => view);
  setHandler(resolveSignal, async (payload: unknown) => {
    const refused = problem(payload);
    if (refused) return recordRejectedSignal(payload, refused);
    accept(payload, undefined);
  });
  setHandler(
    resolveUpdate,
    async (payload: unknown, context: ResolveContext | undefined) => {
      const before = accept(payload, context);
      await condition(() => settled > before);
      return view;
    },
    {
      validator: (payload: unknown, _context: ResolveContext | undefined) => {
        const refused = problem(payload);
        if (refused) throw new Error(refused);
      },
    },
  );

  return {
    /** Waits, parked, for the operator's decision on `parked`. */
    async decide(parked: Concern): Promise<Resolution> {
      concern = parked;
      await condition(() => pending !== undefined);
      const resolution = pending as Resolution;
      [concern, pending, carrying] = [undefined, undefined, true];
      return resolution;
    },
    /** The decision's effect is visible in the view (resumed, failed, completed, or parked again): an Update returns it. */
    settle(): void {
      if (!carrying) return;
      carrying = false;
      settled += 1;
    },
  };
}
