/**
 * One chaos run against a stack: plan from the seed, then at once ingest every record, hit the
 * infrastructure at the planned moments and resolve what gets parked, until every record settles
 * or the deadline passes; then re-deliver a sample, audit, check, and report.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { runAudit } from '../../audit';
import { workflowIdFor } from '../../contract';
import { createDb, type Db } from '../../db/client';
import type { Terminal } from '../../ops/bar';
import { createApiClient, type IngestAnswer } from './api-client';
import type { ChaosOptions } from './args';
import { runChecks } from './checks';
import { deliver, type DeliveryOptions } from './delivery';
import { disrupt } from './disrupt';
import { storedMetrics } from './metrics';
import { countStatuses, isRunRecord, restingCount, watchCounts, type CountWatch, type StatusCounts } from './observe';
import { planRun, PATHS, type PlannedRecord, type RunPlan } from './plan';
import { startProgress, type ProgressLine } from './progress';
import { createRandom } from './random';
import { buildResult, type ChaosResult } from './report';
import { createResolver, type Resolver } from './resolver';
import { DeadlineExceeded } from './retry';
import type { ChaosStack } from './stack';
import { createStats, type RunStats } from './stats';
import { checkStripe } from './stripe';
import { watchRestarts } from './watch';

const SETTLE_POLL_MS = 1_000;
/** A row settles a moment before its workflow closes; one that stays open longer is reported by the checks. */
const WORKFLOW_CLOSE_GRACE_MS = 30_000;
const RUNNING_RECORDS = 'WorkflowType = "processRecord" AND ExecutionStatus = "Running"';

interface Run {
  options: ChaosOptions;
  stack: ChaosStack;
  db: Db;
  temporal: Client;
  stats: RunStats;
  idPrefix: string;
  deadline: number;
  plan: RunPlan;
  acknowledged: Set<string>;
  counts: CountWatch;
  progress: ProgressLine;
}

/** HL7 DTM, to the second: MSH-7 of every message of the run. */
const hl7Time = (ms: number): string => new Date(ms).toISOString().replace(/[-:T]/g, '').slice(0, 14);

function deliveryOptions(run: Run): DeliveryOptions {
  const { stats } = run;
  const api = createApiClient({
    urls: run.stack.apiUrls,
    key: run.stack.apiKey,
    deadline: run.deadline,
    onRetry: (kind) => {
      if (kind === 'records') stats.ingestion.api.retries += 1;
      else if (kind === 'uploads') stats.ingestion.upload.retries += 1;
      else stats.resolutions.retries += 1;
    },
  });
  return { api, mllpPort: run.stack.mllpPort, messageTime: hl7Time(stats.startedAt), deadline: run.deadline, stats, admit: () => admission(run) };
}

const ADMIT_POLL_MS = 200;

async function admission(run: Run): Promise<void> {
  while (run.acknowledged.size - restingCount(run.counts.current()) >= run.options.maxInFlight && Date.now() < run.deadline) await sleep(ADMIT_POLL_MS);
}

function onDelivered(run: Run) {
  return (record: PlannedRecord, answer: IngestAnswer) => {
    const path = run.stats.ingestion[record.path];
    if (answer.outcome === 'rejected') return void run.stats.rejected.push({ id: record.id, path: record.path, reason: answer.reason });
    if (answer.outcome === 'duplicate') path.duplicates += 1;
    if (!run.acknowledged.has(record.id)) path.acknowledged += 1;
    run.acknowledged.add(record.id);
  };
}

/** Out of time: the records not acknowledged are reported by the checks, not thrown. */
const unlessDeadline = (run: Run) => (err: unknown) => {
  if (!(err instanceof DeadlineExceeded)) throw err;
  run.progress.note(err.message);
};

async function freshCounts(run: Run): Promise<StatusCounts | undefined> {
  return countStatuses(run.db, run.idPrefix).catch(() => undefined);
}

async function settle(run: Run, resolver: Resolver, busy: () => boolean): Promise<void> {
  while (Date.now() < run.deadline) {
    const counts = await freshCounts(run);
    if (counts) {
      // The sweep also forgets orphans that are parked no longer, so they cannot hide a record that is.
      if (counts.needs_investigation > 0) await resolver.sweep().catch(unlessDeadline(run));
      const known = Object.values(counts).reduce((a, b) => a + b, 0);
      const open = counts.received + counts.processing + counts.needs_investigation - run.stats.orphaned.size;
      if (!busy() && open <= 0 && known >= run.acknowledged.size) return;
    }
    await sleep(SETTLE_POLL_MS);
  }
}

async function openWorkflows(run: Run): Promise<number> {
  const ours = isRunRecord(run.idPrefix);
  let open = 0;
  for await (const wf of run.temporal.workflow.list({ query: RUNNING_RECORDS })) if (ours(wf.workflowId.slice(workflowIdFor('').length))) open += 1;
  return open;
}

async function untilWorkflowsClose(run: Run): Promise<void> {
  const until = Math.min(run.deadline, Date.now() + WORKFLOW_CLOSE_GRACE_MS);
  while (Date.now() < until && (await openWorkflows(run)) > 0) await sleep(SETTLE_POLL_MS);
}

async function redeliver(run: Run, delivery: DeliveryOptions): Promise<void> {
  const random = createRandom(run.options.seed).fork('redeliver');
  const sample = run.plan.records.filter((r) => random.chance(run.options.redeliver) && run.acknowledged.has(r.id));
  const { redelivered } = run.stats;
  redelivered.sent = sample.length;
  await deliver(sample, delivery, (record, answer) => {
    if (answer.outcome === 'rejected') run.stats.rejected.push({ id: record.id, path: record.path, reason: `re-delivery: ${answer.reason}` });
    else if (answer.outcome === 'duplicate') redelivered.duplicates += 1;
    else redelivered.acceptedAgain.push(record.id);
  }).catch(unlessDeadline(run));
}

async function drive(run: Run): Promise<{ worker: number; api: number }> {
  const delivery = deliveryOptions(run);
  const restarts = { worker: watchRestarts(run.stack, 'worker'), api: watchRestarts(run.stack, 'api') };
  const resolver = createResolver({ api: delivery.api, seed: run.options.seed, idPrefix: run.idPrefix, stats: run.stats });
  let ingesting = true;
  let disrupting = true;
  try {
    const ingestion = deliver(run.plan.records, delivery, onDelivered(run))
      .catch(unlessDeadline(run))
      .finally(() => (ingesting = false));
    const disruption = disrupt(run.plan.events, {
      stack: run.stack,
      records: run.plan.records.length,
      progress: () => ({ ingested: run.acknowledged.size, finished: restingCount(run.counts.current()) }),
      stats: run.stats,
      deadline: run.deadline,
      dbPauseMs: run.options.dbPauseMs,
      onEvent: (e) => run.progress.note(`${e.kind} at ${e.at} s: ${e.skipped ? `skipped, ${e.skipped}` : e.detail}`),
    }).finally(() => (disrupting = false));
    await Promise.all([ingestion, disruption, settle(run, resolver, () => ingesting || disrupting)]);
    await untilWorkflowsClose(run);
    await redeliver(run, delivery);
    return { worker: restarts.worker.restarts(), api: restarts.api.restarts() };
  } finally {
    restarts.worker.stop();
    restarts.api.stop();
  }
}

async function conclude(run: Run, restartsSeen: { worker: number; api: number }): Promise<ChaosResult> {
  const { db, temporal, idPrefix, stats } = run;
  const stripeRequests = run.stack.stripeRequests();
  const [statuses, audit, harnessViolations, metrics, stripe] = await Promise.all([
    countStatuses(db, idPrefix),
    runAudit(db, temporal),
    runChecks({ db, temporal, idPrefix, records: run.plan.records, acknowledged: run.acknowledged, stats }),
    storedMetrics(db, idPrefix),
    stripeRequests && checkStripe(db, idPrefix, stripeRequests),
  ]);
  return buildResult({
    topology: run.stack.topology,
    seed: run.options.seed,
    faultRate: run.options.faultRate,
    idPrefix,
    records: run.plan.records,
    stats,
    statuses,
    traffic: run.stack.traffic(),
    restartsSeen,
    metrics,
    audit,
    harnessViolations: [...harnessViolations, ...(stripe?.violations ?? [])],
    stripe: stripe?.counts ?? null,
  });
}

function planFor(options: ChaosOptions, stack: ChaosStack, idPrefix: string): RunPlan {
  return planRun(createRandom(options.seed), {
    records: options.records,
    faultRate: options.faultRate,
    idPrefix,
    stepAttempts: stack.stepAttempts,
    providerAttempts: stack.providerAttempts,
    providers: stack.providers,
    maxCrashes: Math.max(1, Math.ceil(options.records / 1_000)),
    workerKills: options.workerKills,
    dbRestarts: options.dbRestarts,
    apiRestarts: options.apiRestarts,
  });
}

function progressLine(run: Omit<Run, 'progress'>, terminal: Terminal): ProgressLine {
  return startProgress(terminal, () => ({
    seconds: (Date.now() - run.stats.startedAt) / 1000,
    records: run.plan.records.length,
    ingested: run.acknowledged.size,
    counts: run.counts.current(),
    events: { done: run.stats.events.length, planned: run.plan.events.length },
  }));
}

export async function runChaos(options: ChaosOptions, stack: ChaosStack, terminal: Terminal): Promise<ChaosResult> {
  const stats = createStats();
  const idPrefix = `chaos-${options.seed}-${stats.startedAt.toString(36)}-`;
  const plan = planFor(options, stack, idPrefix);
  for (const path of PATHS) stats.ingestion[path].records = plan.records.filter((r) => r.path === path).length;
  // A small pool: the harness must not take the connections the stack needs.
  const db = createDb(stack.databaseUrl, { poolSize: 4 });
  const temporal = await stack.connectTemporal();
  const base = { options, stack, db, temporal, stats, idPrefix, deadline: stats.startedAt + options.deadlineMs, plan, acknowledged: new Set<string>(), counts: watchCounts(db, idPrefix) };
  const run: Run = { ...base, progress: progressLine(base, terminal) };
  try {
    let restartsSeen: { worker: number; api: number };
    try {
      restartsSeen = await drive(run);
    } finally {
      run.progress.stop();
      run.counts.stop();
    }
    return await conclude(run, restartsSeen);
  } finally {
    await temporal.connection.close();
    await db.$disconnect();
  }
}
