/** The terminal view of each answer; `--json` bypasses this and prints the answer itself. */
import { costMicros, detail, money, orDash, refOf, time } from './format';
import { cell, fields, table } from './table';
import type { AccountList, AccountView, KeyCreated, KeyRevoked, RecordDetail, RecordEventView, RecordList, Resolved, Usage } from './views';

export function renderList({ records, nextCursor }: RecordList): string {
  if (records.length === 0) return 'no records';
  const rows = table(
    [{ header: 'id' }, { header: 'status' }, { header: 'step' }, { header: 'reason' }, { header: 'attempts', align: 'right' }, { header: 'updated' }, { header: 'last error' }],
    records.map((r) => [refOf(r), r.status, orDash(r.step), cell(r.reason, 30), String(r.attempts), time(r.updatedAt), cell(r.lastError)]),
  );
  return nextCursor ? `${rows}\n(more: raise --limit)` : rows;
}

function summary(record: RecordDetail): string {
  const { charge, result, modelOutput, reason } = record;
  return fields([
    ['record', refOf(record)],
    ['status', record.status],
    ['step', orDash(record.step)],
    ['attempts', String(record.attempts)],
    ['last error', orDash(record.lastError)],
    ...(reason && record.status === 'needs_investigation' ? [['investigation', `${reason} at step ${orDash(record.step)}`] as const] : []),
    ...(reason && record.status === 'failed' ? [['abandoned', reason] as const] : []),
    ['charge', charge ? `${money(charge.amountCents, charge.currency)}, ${charge.status} (key ${charge.idempotencyKey})` : '-'],
    ['result', result ? `${result.source} (tier ${result.tier}), confidence ${result.confidence}` : '-'],
    ['model output', modelOutput ? `${modelOutput.provider} ${modelOutput.model}, confidence ${modelOutput.confidence}` : '-'],
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
  return `model calls\n${table(columns, rows)}\ntotal cost ${costMicros(record.costMicros)} over ${record.calls.length} call(s)`;
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

export const renderResolved =
  (action: string) =>
  (resolved: Resolved): string =>
    `${action} accepted by ${resolved.workflowId}: the record is ${resolved.status}${resolved.step ? ` at ${resolved.step}` : ''} (follow it with: show ${refOf(resolved)})`;

const price = (a: AccountView): string => (a.priceCents === null ? 'PRICE_CENTS' : money(a.priceCents, a.currency));
const budget = (a: AccountView): string =>
  a.budgetCents === null ? 'none' : `${money(a.budgetCents, a.currency)} a month; ${money(a.reservedCents, a.currency)} reserved in ${a.month.slice(0, 7)}, ${money(a.remainingCents ?? 0, a.currency)} left`;

export function renderAccounts({ accounts }: AccountList): string {
  if (accounts.length === 0) return 'no accounts';
  return table(
    [{ header: 'id' }, { header: 'name' }, { header: 'price' }, { header: 'budget' }, { header: 'left', align: 'right' }, { header: 'stripe customer' }],
    accounts.map((a) => [a.id, cell(a.name, 30), price(a), a.budgetCents === null ? '-' : money(a.budgetCents, a.currency), a.remainingCents === null ? '-' : money(a.remainingCents, a.currency), orDash(a.stripeCustomerId)]),
  );
}

export function renderAccount(a: AccountView): string {
  return fields([
    ['account', a.id],
    ['name', a.name],
    ['price', `${price(a)} per record`],
    ['currency', a.currency],
    ['budget', budget(a)],
    ['stripe customer', orDash(a.stripeCustomerId)],
  ]);
}

export function renderKey(k: KeyCreated): string {
  return `${fields([['key id', k.id], ['account', k.account], ['role', k.role], ['key', k.key]])}\nthe key is shown this once: store it now`;
}

export const renderRevoked = (k: KeyRevoked): string => `key ${k.id} of ${k.account} revoked at ${time(k.revokedAt)}; every API process refuses it within seconds`;

export function renderUsage(usage: Usage): string {
  const period = `from ${time(usage.from)} to ${time(usage.to)}`;
  if (usage.accounts.length === 0) return `${period}: no accounts`;
  const blocks = usage.accounts.map((a) => {
    const records = Object.entries(a.records).map(([status, n]) => `${n} ${status}`).join(', ') || 'none';
    const models = a.modelCalls.map((c) => `${c.provider} ${c.calls} call(s) ${costMicros(c.costMicros)}`).join('; ') || 'none';
    return fields([
      ['account', a.account],
      ['records', records],
      ['charged', money(a.chargedCents, a.currency)],
      ['refunded', money(a.refundedCents, a.currency)],
      ['model calls', models],
      ['model cost', costMicros(a.modelCostMicros)],
      ['margin', `${costMicros(a.marginMicros)} (charged minus model cost)`],
      ['budget', a.budget.budgetCents === null ? 'none' : `${money(a.budget.reservedCents, a.currency)} of ${money(a.budget.budgetCents, a.currency)} reserved this month, ${money(a.budget.remainingCents ?? 0, a.currency)} left`],
    ]);
  });
  return [period, ...blocks].join('\n\n');
}
