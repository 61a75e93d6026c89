/**
 * What the harness checks on top of the auditor, because only the harness knows what it sent and
 * what each fault plan must lead to: nothing acknowledged is lost (G7), every record settles (G4),
 * one execution per record even for re-deliveries (G1), no model call after the output was stored
 * (G3, whatever the call's outcome), and each plan ends as planned (G6): an exhausting plan parks
 * the record, and nothing else does, because retries must ride out the outages of the run.
 */
import type { Client } from '@temporalio/client';
import type { Violation } from '../audit';
import type { Db } from '../db/client';
import type { PlannedRecord } from './plan';
import type { RunStats } from './stats';

/** Between a call's end and the insert of its log row lie a transaction's start and a pool wait. */
const CALL_CLOCK_SLACK_MS = 1_000;
const WORKFLOW_PREFIX = 'record-';

export interface CheckInput {
  db: Db;
  temporal: Client;
  idPrefix: string;
  records: readonly PlannedRecord[];
  acknowledged: ReadonlySet<string>;
  stats: RunStats;
}

interface Row {
  id: string;
  status: string;
  lastError: string | null;
}

const violation = (invariant: string, recordId: string, detail?: string): Violation => ({ invariant, recordId, ...(detail ? { detail } : {}) });

async function rowsOf({ db, idPrefix }: CheckInput): Promise<Map<string, Row>> {
  const rows = await db.$queryRaw<Row[]>`
    SELECT id, status, last_error AS "lastError" FROM records WHERE starts_with(id, ${idPrefix}) OR starts_with(id, ${`hl7-${idPrefix}`})`;
  return new Map(rows.map((r) => [r.id, r]));
}

function deliveryChecks({ records, acknowledged, stats }: CheckInput, rows: Map<string, Row>): Violation[] {
  const found: Violation[] = [];
  for (const r of stats.rejected) found.push(violation('ingestion refused a valid record', r.id, `${r.path}: ${r.reason}`));
  for (const record of records) {
    if (!acknowledged.has(record.id)) found.push(violation('never acknowledged by the stack', record.id, record.path));
    else if (!rows.has(record.id)) found.push(violation('acknowledged, then lost (no row)', record.id, record.path));
  }
  for (const id of stats.redelivered.acceptedAgain) found.push(violation('a re-delivered record was accepted as new', id));
  return found;
}

function settleChecks(rows: Map<string, Row>, stats: RunStats): Violation[] {
  return [...rows.values()]
    .filter((r) => r.status !== 'completed' && r.status !== 'failed')
    .map((r) =>
      stats.orphaned.has(r.id)
        ? violation('parked with no workflow left to resolve it', r.id, r.lastError ?? undefined)
        : violation('did not settle by the deadline', r.id, `${r.status}: ${r.lastError ?? ''}`),
    );
}

async function lateModelCalls({ db, idPrefix }: CheckInput): Promise<Violation[]> {
  const late = await db.$queryRaw<Array<{ id: string; calls: number; outcomes: string }>>`
    SELECT c.record_id AS id, count(*)::int AS calls, string_agg(DISTINCT c.outcome, ',') AS outcomes
    FROM model_calls c JOIN inference_outputs o ON o.record_id = c.record_id
    WHERE (starts_with(c.record_id, ${idPrefix}) OR starts_with(c.record_id, ${`hl7-${idPrefix}`}))
      AND c.created_at - make_interval(secs => c.latency_ms / 1000.0) > o.created_at + make_interval(secs => ${CALL_CLOCK_SLACK_MS / 1000})
    GROUP BY c.record_id`;
  return late.map((r) => violation('a model call started after the output was stored', r.id, `${r.calls} call(s): ${r.outcomes}`));
}

/** One pass over visibility: more than one run per record, and open runs behind rows that say the record is done. */
async function executionChecks({ temporal, idPrefix }: CheckInput, rows: Map<string, Row>): Promise<Violation[]> {
  const runs = new Map<string, string[]>();
  for await (const wf of temporal.workflow.list({ query: 'WorkflowType = "processRecord"' })) {
    const id = wf.workflowId.slice(WORKFLOW_PREFIX.length);
    if (id.startsWith(idPrefix) || id.startsWith(`hl7-${idPrefix}`)) runs.set(id, [...(runs.get(id) ?? []), wf.status.name]);
  }
  const found: Violation[] = [];
  for (const [id, statuses] of runs) {
    if (statuses.length > 1) found.push(violation('more than one workflow execution', id, statuses.join(', ')));
    const row = rows.get(id);
    if (statuses.includes('RUNNING') && (row?.status === 'completed' || row?.status === 'failed')) {
      found.push(violation('row settled while its workflow is still open', id, row.status));
    }
  }
  return found;
}

async function planChecks({ db, idPrefix, records }: CheckInput): Promise<Violation[]> {
  const parked = await db.$queryRaw<Array<{ id: string; reasons: string }>>`
    SELECT record_id AS id, string_agg(DISTINCT coalesce(detail->>'reason', '?'), ',') AS reasons FROM record_events
    WHERE to_status = 'needs_investigation' AND (starts_with(record_id, ${idPrefix}) OR starts_with(record_id, ${`hl7-${idPrefix}`}))
    GROUP BY record_id`;
  const reasons = new Map(parked.map((p) => [p.id, p.reasons]));
  const found: Violation[] = [];
  for (const record of records) {
    const why = reasons.get(record.id);
    if (record.expectInvestigation && why === undefined) found.push(violation('a fault plan that must park the record did not', record.id, record.kind ?? ''));
    if (!record.expectInvestigation && why !== undefined) found.push(violation('parked although its fault plan heals by retries', record.id, `${record.kind ?? 'no faults'}; ${why}`));
  }
  return found;
}

async function refundChecks({ db, idPrefix }: CheckInput): Promise<Violation[]> {
  const refunded = await db.$queryRaw<Array<{ id: string }>>`
    SELECT r.id FROM records r JOIN charges c ON c.record_id = r.id
    WHERE r.status = 'completed' AND c.status = 'refunded' AND (starts_with(r.id, ${idPrefix}) OR starts_with(r.id, ${`hl7-${idPrefix}`}))`;
  return refunded.map((r) => violation('completed with a refunded charge', r.id));
}

export async function runChecks(input: CheckInput): Promise<Violation[]> {
  const rows = await rowsOf(input);
  const [late, executions, plans, refunds] = await Promise.all([lateModelCalls(input), executionChecks(input, rows), planChecks(input), refundChecks(input)]);
  return [...deliveryChecks(input, rows), ...settleChecks(rows, input.stats), ...late, ...executions, ...plans, ...refunds];
}
