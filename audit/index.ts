/**
 * The auditor: every invariant of DESIGN §2 checked against what is stored, in set-based SQL (one
 * statement per invariant, indexed), plus Temporal's view of which workflows run. A violation
 * names the record and the invariant, so an operator can act on it.
 */
import type { Client } from '@temporalio/client';
import { workflowIdFor } from '../contract';
import { statementsOf, type Db } from '../db/client';
import { findStuckRecords } from '../reconcile/stuck';

export interface Violation {
  invariant: string;
  recordId: string;
  detail?: string;
}

export interface AuditReport {
  records: number;
  byStatus: Record<string, number>;
  checks: Array<{ invariant: string; violations: number }>;
  violations: Violation[];
}

const SQL_CHECKS: Array<{ invariant: string; sql: string }> = [
  { invariant: 'more than one charge', sql: `SELECT record_id AS id FROM charges GROUP BY record_id HAVING count(*) > 1` },
  { invariant: 'more than one output', sql: `SELECT record_id AS id FROM inference_outputs GROUP BY record_id HAVING count(*) > 1` },
  {
    // A call that started after the output was stored should never have been made (G3); one that
    // overlapped the storing attempt is fine, and is marked superseded.
    invariant: 'a successful model call after the output was stored',
    sql: `SELECT c.record_id AS id FROM model_calls c JOIN inference_outputs o ON o.record_id = c.record_id
          WHERE c.outcome IN ('ok', 'superseded')
          GROUP BY c.record_id
          HAVING count(*) FILTER (WHERE c.outcome = 'ok') > 1
              OR max(c.started_at) > min(o.created_at)`,
  },
  {
    invariant: 'failed with a charge that was not refunded',
    sql: `SELECT r.id FROM records r JOIN charges c ON c.record_id = r.id WHERE r.status = 'failed' AND c.status <> 'refunded'`,
  },
  {
    invariant: 'refunded more than once',
    sql: `SELECT record_id AS id FROM record_events WHERE to_status = 'failed' AND (detail->>'refunded')::boolean GROUP BY record_id HAVING count(*) > 1`,
  },
  {
    // The result is the record_results row (an operator's correction has no model output); records
    // completed before that table existed have only their output.
    invariant: 'completed without a charge or a result',
    sql: `SELECT r.id FROM records r LEFT JOIN charges c ON c.record_id = r.id LEFT JOIN inference_outputs o ON o.record_id = r.id
          LEFT JOIN record_results res ON res.record_id = r.id
          WHERE r.status = 'completed' AND (c.id IS NULL OR (res.id IS NULL AND o.id IS NULL))`,
  },
  {
    // Usage (GET /v1/usage) counts charges by their record's account; the ledger bills the charge's.
    invariant: 'charge disagrees with its record on account or price',
    sql: `SELECT c.record_id AS id FROM charges c JOIN records r ON r.id = c.record_id
          WHERE c.account_id <> r.account_id OR (r.price_cents IS NOT NULL AND c.amount_cents <> r.price_cents)`,
  },
  {
    invariant: 'charged more than once by the billing provider',
    sql: `SELECT record_id AS id FROM charges WHERE idempotency_key <> 'charge-' || record_id`,
  },
];

/** The invariants PostgreSQL alone can answer: safe on a database other Temporal servers share. */
export async function sqlViolations(db: Db): Promise<Violation[]> {
  const found = await Promise.all(
    SQL_CHECKS.map(async ({ invariant, sql }) => (await db.$queryRawUnsafe<Array<{ id: string }>>(sql)).map((r) => ({ invariant, recordId: r.id }))),
  );
  return found.flat();
}

async function workflowsWithoutRows(db: Db, temporal: Client): Promise<Violation[]> {
  const running: string[] = [];
  for await (const wf of temporal.workflow.list({ query: `WorkflowType = "processRecord" AND ExecutionStatus = "Running"` })) running.push(wf.workflowId);
  const ids = running.map((w) => w.replace(/^record-/, ''));
  const rows = new Set((await db.record.findMany({ where: { id: { in: ids } }, select: { id: true } })).map((r) => r.id));
  return ids.filter((id) => !rows.has(id)).map((id) => ({ invariant: ORPHAN, recordId: id, detail: workflowIdFor(id) }));
}

const STUCK = 'received/processing without a running workflow';
const ORPHAN = 'running workflow without a record row';

async function stuck(db: Db, temporal: Client, quietForMs: number): Promise<Violation[]> {
  const records = await findStuckRecords(statementsOf(db), temporal, { quietForMs, limit: 100_000 });
  return records.map((r) => ({ invariant: STUCK, recordId: r.id, detail: `${r.status}, workflow ${r.workflow}` }));
}

export async function runAudit(db: Db, temporal: Client, { quietForMs = 0 } = {}): Promise<AuditReport> {
  const [fromSql, orphans, stranded, statuses] = await Promise.all([
    sqlViolations(db),
    workflowsWithoutRows(db, temporal),
    stuck(db, temporal, quietForMs),
    db.record.groupBy({ by: ['status'], _count: { _all: true } }),
  ]);
  const violations = [...fromSql, ...orphans, ...stranded];
  const invariants = [...SQL_CHECKS.map((c) => c.invariant), ORPHAN, STUCK];
  const byStatus = Object.fromEntries(statuses.map((s) => [s.status, s._count._all]));
  return {
    records: Object.values(byStatus).reduce((a, b) => a + b, 0),
    byStatus,
    checks: invariants.map((invariant) => ({ invariant, violations: violations.filter((v) => v.invariant === invariant).length })),
    violations,
  };
}

export function summarise(report: AuditReport): string {
  const width = Math.max(...report.checks.map((c) => c.invariant.length));
  const lines = report.checks.map((c) => `${c.violations === 0 ? 'ok  ' : 'FAIL'}  ${c.invariant.padEnd(width)}  ${c.violations}`);
  const statuses = Object.entries(report.byStatus).map(([s, n]) => `${s} ${n}`).join(', ');
  return [`${report.records} records (${statuses || 'none'})`, ...lines, `${report.violations.length} violations`].join('\n');
}
