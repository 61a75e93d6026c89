/** The run's result: a JSON document for machines (CI asserts on it) and a table for people. */
import type { AuditReport, Violation } from '../../audit';
import { fields } from '../../ops/table';
import type { StoredMetrics } from './metrics';
import type { StatusCounts } from './observe';
import { FAULT_KINDS, PATHS, type ChaosEventKind, type PlannedRecord } from './plan';
import type { ProviderTraffic } from './stack';
import type { EventLog, PathStats, RunStats } from './stats';
import type { StripeCounts } from './stripe';

/** Enough to act on; the counts by invariant always cover all of them. */
const MAX_LISTED_VIOLATIONS = 1_000;

export interface ChaosResult {
  ok: boolean;
  topology: string;
  seed: number;
  records: number;
  faultRate: number;
  idPrefix: string;
  durationSeconds: number;
  byPath: Record<string, PathStats>;
  statuses: StatusCounts;
  settled: number;
  unsettled: number;
  faults: { plans: number; faults: number; byKind: Record<string, number>; providerFaultsServed: number | null; providerRequests: number | null };
  infrastructure: { workerKills: number; workerRestartsSeen: number; dbRestarts: number; apiRestarts: number; apiRestartsSeen: number; events: EventLog[] };
  retries: { client: number; byPath: Record<string, number>; resolveAndList: number; modelCallsBeyondOnePerRecord: number; recordsRetried: number; chargeRetriesThatSkippedBilling: number };
  investigations: StoredMetrics['investigations'] & { resolvedRetry: number; resolvedApprove: number; resolvedAbandon: number; resent: number; orphaned: string[] };
  modelCalls: StoredMetrics['modelCalls'];
  charges: StoredMetrics['charges'];
  redelivered: RunStats['redelivered'];
  /** What reached Stripe (--billing stripe); null where the ledger is the whole bill. */
  stripe: StripeCounts | null;
  audit: { records: number; checks: AuditReport['checks']; violations: number };
  violations: { total: number; auditor: number; harness: number; byInvariant: Record<string, number>; listed: Violation[] };
}

export interface ResultInput {
  topology: string;
  seed: number;
  faultRate: number;
  idPrefix: string;
  records: readonly PlannedRecord[];
  stats: RunStats;
  statuses: StatusCounts;
  traffic: ProviderTraffic | undefined;
  restartsSeen: { worker: number; api: number };
  metrics: StoredMetrics;
  audit: AuditReport;
  harnessViolations: Violation[];
  stripe: StripeCounts | null;
}

const happened = (events: EventLog[], kind: ChaosEventKind): number => events.filter((e) => e.kind === kind && !e.skipped).length;

function faultSummary(records: readonly PlannedRecord[], traffic: ProviderTraffic | undefined): ChaosResult['faults'] {
  const planned = records.filter((r) => r.kind !== null);
  const byKind: Record<string, number> = {};
  for (const kind of FAULT_KINDS) {
    const n = planned.filter((r) => r.kind === kind).length;
    if (n > 0) byKind[kind] = n;
  }
  // A low-confidence record carries its fault in its text, not in a plan.
  const faults = planned.reduce((n, r) => n + (r.faults?.faults.length ?? 1), 0);
  return { plans: planned.length, faults, byKind, providerFaultsServed: traffic?.faultsServed ?? null, providerRequests: traffic?.requests ?? null };
}

function violationSummary(audit: AuditReport, harness: Violation[]): ChaosResult['violations'] {
  const all = [...audit.violations, ...harness];
  const byInvariant: Record<string, number> = {};
  for (const v of all) byInvariant[v.invariant] = (byInvariant[v.invariant] ?? 0) + 1;
  return { total: all.length, auditor: audit.violations.length, harness: harness.length, byInvariant, listed: all.slice(0, MAX_LISTED_VIOLATIONS) };
}

export function buildResult(input: ResultInput): ChaosResult {
  const { stats, statuses, metrics, audit } = input;
  const settled = statuses.completed + statuses.failed;
  const violations = violationSummary(audit, input.harnessViolations);
  const clientByPath = Object.fromEntries(PATHS.map((p) => [p, stats.ingestion[p].retries]));
  return {
    ok: violations.total === 0 && settled === input.records.length,
    topology: input.topology,
    seed: input.seed,
    records: input.records.length,
    faultRate: input.faultRate,
    idPrefix: input.idPrefix,
    durationSeconds: Math.round((Date.now() - stats.startedAt) / 100) / 10,
    byPath: stats.ingestion,
    statuses,
    settled,
    unsettled: input.records.length - settled,
    faults: faultSummary(input.records, input.traffic),
    infrastructure: {
      workerKills: happened(stats.events, 'kill-worker'),
      workerRestartsSeen: input.restartsSeen.worker,
      dbRestarts: happened(stats.events, 'restart-db'),
      apiRestarts: happened(stats.events, 'restart-api'),
      apiRestartsSeen: input.restartsSeen.api,
      events: stats.events,
    },
    retries: {
      client: Object.values(clientByPath).reduce((a, b) => a + b, 0),
      byPath: clientByPath,
      resolveAndList: stats.resolutions.retries,
      modelCallsBeyondOnePerRecord: metrics.modelCalls.beyondOnePerRecord,
      recordsRetried: metrics.recordsRetried,
      chargeRetriesThatSkippedBilling: metrics.charges.retriesThatSkippedBilling,
    },
    investigations: {
      ...metrics.investigations,
      resolvedRetry: stats.resolutions.retry,
      resolvedApprove: stats.resolutions.approve,
      resolvedAbandon: stats.resolutions.abandon,
      resent: stats.resolutions.resent,
      orphaned: [...stats.orphaned.keys()],
    },
    modelCalls: metrics.modelCalls,
    charges: metrics.charges,
    redelivered: stats.redelivered,
    stripe: input.stripe,
    audit: { records: audit.records, checks: audit.checks, violations: audit.violations.length },
    violations,
  };
}

const list = (counts: Record<string, number>): string =>
  Object.entries(counts)
    .map(([k, n]) => `${k} ${n}`)
    .join(', ') || 'none';

const downtime = (events: EventLog[], kind: ChaosEventKind): string => {
  const downs = events.filter((e) => e.kind === kind && e.downMs !== undefined).map((e) => `${((e.downMs ?? 0) / 1000).toFixed(1)} s`);
  return downs.length > 0 ? ` (down ${downs.join(', ')})` : '';
};

const wire = (c: StripeCounts['meterEvents']): string => `${c.requests} requests, ${c.taken} taken, resent or refused ${c.replayed + c.refused} (replayed ${c.replayed}, refused ${c.refused})`;

function stripeRow(s: StripeCounts): [string, string] {
  return ['Stripe', `meter events: ${wire(s.meterEvents)} for ${s.charges} charges; cancellations: ${wire(s.cancellations)} for ${s.refunds} refunds`];
}

export function renderTable(r: ChaosResult): string {
  const { infrastructure: infra, retries, investigations: inv } = r;
  const rows: Array<[string, string]> = [
    ['topology', r.topology],
    ['records', `${r.records} (${PATHS.map((p) => `${p} ${r.byPath[p]?.records ?? 0}`).join(', ')})`],
    ['settled', `${r.settled} (completed ${r.statuses.completed}, failed ${r.statuses.failed}); unsettled ${r.unsettled}`],
    ['faults injected', `${r.faults.faults} in ${r.faults.plans} plans (${list(r.faults.byKind)})${r.faults.providerFaultsServed === null ? '' : `; provider faults served ${r.faults.providerFaultsServed}`}`],
    ['worker kills', `${infra.workerKills} SIGKILLs${downtime(infra.events, 'kill-worker')}; ${infra.workerRestartsSeen} restarts seen (with crash faults)`],
    ['PG restarts', `${infra.dbRestarts}${downtime(infra.events, 'restart-db')}`],
    ['API restarts', `${infra.apiRestarts}${downtime(infra.events, 'restart-api')}`],
    ['retries', `client resends ${retries.client} (${list(retries.byPath)}); model calls beyond one per record ${retries.modelCallsBeyondOnePerRecord}; records on attempt > 1 ${retries.recordsRetried}; charge retries that skipped billing ${retries.chargeRetriesThatSkippedBilling}`],
    ['investigations', `${inv.records} records, ${inv.parkings} parkings (${list(inv.byReason)}); resolved: retry ${inv.resolvedRetry}, approve ${inv.resolvedApprove}, abandon ${inv.resolvedAbandon}, resent ${inv.resent}; orphaned ${inv.orphaned.length}`],
    ...(r.stripe ? [stripeRow(r.stripe)] : []),
    ['re-deliveries', `${r.redelivered.sent} sent again, ${r.redelivered.duplicates} answered duplicate`],
    ['duration', `${r.durationSeconds.toFixed(1)} s`],
    ['violations', `${r.violations.total} (auditor ${r.violations.auditor}, harness ${r.violations.harness})${r.violations.total ? `: ${list(r.violations.byInvariant)}` : ''}`],
  ];
  return fields(rows);
}
