/**
 * One throughput run: submit, wait until every measured workflow has closed, and read what it cost.
 * The clock starts before the first submission and stops at the last close Temporal recorded, so
 * ingest is inside the figure, as a client sees it.
 */
import type { BenchEnvironment } from './environment';
import { waitForClosed } from './completion';
import { cpuDelta, machineBusySeconds, otherCores, perRecordMs, type CpuByComponent } from './cpu';
import { historyProfile, type HistoryProfile } from './history';
import { loadAverage, type LoadAverage } from './machine';
import { committedTransactions } from './pgstats';
import { perRecord, type RequestCounts } from './requests';
import type { Session } from './session';
import { round } from './stats';
import { inPool, type Submit } from './submit';

export interface RunPlan {
  submissions: number;
  concurrency: number;
  submit: Submit;
  /** The workflows whose closing ends the run and whose rate is the figure. */
  measured: { prefix: string; count: number; workflowId: (n: number) => string };
}

export interface ThroughputRun {
  loadBefore: LoadAverage;
  /**
   * The speed probe's median CPU ms over the run: the same work each second, so a slower machine
   * (its host busier) shows here, apart from what the run itself costs. Results written before it
   * was kept have none.
   */
  speedProbeMs?: number;
  /** Cores busy outside the benchmark while it ran (other people's tests, say). */
  otherCores: number;
  measured: number;
  seconds: number;
  perSecond: number;
  byStatus: Record<string, number>;
  /** Ingest and activities together, per submitted record. */
  pgTransactionsPerRecord: number;
  /** CPU milliseconds per measured workflow, by component. */
  cpuMsPerRecord: CpuByComponent;
  /** Per measured workflow. Results written before the counts were kept have none. */
  requestsPerRecord?: RequestCounts;
  history: HistoryProfile;
}

const timeoutFor = (count: number): number => 300_000 + count * 200;

export async function measureThroughput(bench: BenchEnvironment, session: Session, plan: RunPlan): Promise<ThroughputRun> {
  const loadBefore = loadAverage();
  const commitsBefore = await committedTransactions(bench.db, false);
  const cpuBefore = session.cpu();
  const requestsBefore = await session.requests();
  const machineBefore = machineBusySeconds();
  const started = Date.now();
  await inPool(plan.submissions, plan.concurrency, plan.submit);
  const { prefix, count, workflowId } = plan.measured;
  const closed = await waitForClosed(bench.client, prefix, count, session.assertAlive, timeoutFor(count));
  const seconds = (closed.lastCloseMs - started) / 1000;
  const cpu = cpuDelta(cpuBefore, session.cpu());
  const requests = await session.requests();
  const other = otherCores(machineBefore, machineBusySeconds(), cpu, (Date.now() - started) / 1000);
  const commits = (await committedTransactions(bench.db)) - commitsBefore;
  const history = await historyProfile(bench.client, Array.from({ length: count }, (_, n) => workflowId(n)));
  return {
    loadBefore,
    speedProbeMs: session.speedProbeMs(started, closed.lastCloseMs),
    otherCores: other,
    measured: count,
    seconds: round(seconds),
    perSecond: round(count / seconds, 1),
    byStatus: closed.byStatus,
    pgTransactionsPerRecord: round(commits / plan.submissions, 1),
    cpuMsPerRecord: perRecordMs(cpu, count),
    requestsPerRecord: perRecord(requestsBefore, requests, count),
    history,
  };
}
