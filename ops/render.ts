/** The terminal view of each answer; `--json` bypasses this and prints the answer itself. */
import { costMicros, detail, money, orDash, time } from './format';
import { cell, fields, table } from './table';
import type { RecordDetail, RecordEventView, RecordList, ResolveAccepted } from './views';

export function renderList({ records }: RecordList): string {
  if (records.length === 0) return 'no records';
  return table(
    [{ header: 'id' }, { header: 'status' }, { header: 'step' }, { header: 'attempts', align: 'right' }, { header: 'updated' }, { header: 'last error' }],
    records.map((r) => [r.id, r.status, orDash(r.step), String(r.attempts), time(r.updatedAt), cell(r.lastError)]),
  );
}

/** The event that put the record in its current state says why: the park reason or the abandon reason. */
function currentReason({ status, events }: RecordDetail): string | undefined {
  for (const event of [...events].reverse()) {
    const reason = event.detail?.reason;
    if (event.toStatus === status && typeof reason === 'string') return reason;
  }
  return undefined;
}

function summary(record: RecordDetail): string {
  const reason = currentReason(record);
  const charge = record.charge;
  return fields([
    ['record', record.id],
    ['status', record.status],
    ['step', orDash(record.step)],
    ['attempts', String(record.attempts)],
    ['last error', orDash(record.lastError)],
    ...(reason && record.status === 'needs_investigation' ? [['investigation', `${reason} at step ${orDash(record.step)}`] as const] : []),
    ...(reason && record.status === 'failed' ? [['abandoned', reason] as const] : []),
    ['charge', charge ? `${money(charge.amountCents, charge.currency)}, ${charge.status} (key ${charge.idempotencyKey})` : '-'],
    ['result', record.result ? `${record.result.provider} ${record.result.model}, confidence ${record.result.confidence}` : '-'],
    ['workflow', `${record.workflowId}  ${record.workflowUrl}`],
  ]);
}

function calls(record: RecordDetail): string {
  if (record.calls.length === 0) return 'model calls: none';
  const rows = record.calls.map((c) => [c.provider, c.model, String(c.attempt), c.outcome, orDash(c.httpStatus), `${c.latencyMs} ms`, costMicros(c.costMicros), cell(c.error, 50)]);
  const columns = [
    { header: 'provider' }, { header: 'model' }, { header: 'attempt', align: 'right' }, { header: 'outcome' },
    { header: 'http', align: 'right' }, { header: 'latency', align: 'right' }, { header: 'cost', align: 'right' }, { header: 'error' },
  ] as const;
  return `model calls\n${table(columns, rows)}\ntotal cost ${costMicros(record.totalCostMicros)} over ${record.calls.length} call(s)`;
}

const transition = (e: RecordEventView): string => (e.fromStatus === null || e.fromStatus === e.toStatus ? e.toStatus : `${e.fromStatus} → ${e.toStatus}`);

function timeline(events: readonly RecordEventView[]): string {
  if (events.length === 0) return 'events: none';
  const rows = events.map((e) => [time(e.createdAt), transition(e), orDash(e.step), e.actor, cell(detail(e.detail), 80)]);
  return `events\n${table([{ header: 'time' }, { header: 'transition' }, { header: 'step' }, { header: 'actor' }, { header: 'detail' }], rows)}`;
}

export function renderRecord(record: RecordDetail): string {
  return [summary(record), calls(record), timeline(record.events)].join('\n\n');
}

export function renderResolve(accepted: ResolveAccepted): string {
  return `${accepted.action} sent to ${accepted.workflowId} (follow it with: show ${accepted.id})`;
}
