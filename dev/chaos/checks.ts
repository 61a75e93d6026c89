/**
 * What the harness checks on top of the auditor, because only the harness knows what it sent and
 * what each fault plan must lead to: nothing acknowledged is lost (G7), every record settles and
 * its workflow closes (G4), one execution per record even for re-deliveries (G1), a completed
 * record keeps its charge, and each plan ends as planned (G6): an exhausting plan parks the record,
 * and nothing else does, because retries must ride out the outages of the run.
 */
import type { Client } from '@temporalio/client';
import type { Violation } from '../../audit';
import { workflowIdFor } from '../../contract';
import type { Db } from '../../db/client';
import { isRunRecord } from './observe';
import { ofRun, PARKING } from './sql';
import type { PlannedRecord } from './plan';
import type { RunStats } from './stats';


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
    SELECT id, status, last_error AS "lastError" FROM records WHERE ${ofRun(idPrefix, 'id')}`;
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

/** One pass over visibility: more than one run per record, and open runs behind rows that say the record is done. */
async function executionChecks({ temporal, idPrefix }: CheckInput, rows: Map<string, Row>): Promise<Violation[]> {
  const ours = isRunRecord(idPrefix);
  const runs = new Map<string, string[]>();
  for await (const wf of temporal.workflow.list({ query: 'WorkflowType = "processRecord"' })) {
    const id = wf.workflowId.slice(workflowIdFor('').length);
    if (ours(id)) runs.set(id, [...(runs.get(id) ?? []), wf.status.name]);
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
    WHERE ${PARKING} AND ${ofRun(idPrefix, 'record_id')}
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
    WHERE r.status = 'completed' AND c.status = 'refunded' AND ${ofRun(idPrefix, 'r.id')}`;
  return refunded.map((r) => violation('completed with a refunded charge', r.id));
}

export async function runChecks(input: CheckInput): Promise<Violation[]> {
  const rows = await rowsOf(input);
  const [executions, plans, refunds] = await Promise.all([executionChecks(input, rows), planChecks(input), refundChecks(input)]);
  return [...deliveryChecks(input, rows), ...settleChecks(rows, input.stats), ...executions, ...plans, ...refunds];
}
