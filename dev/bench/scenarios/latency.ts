/**
 * Ingest latency (issue 8, figure 2): POST /v1/records at each rate, open loop, against the same
 * API process answering /healthz at the same rate. Twice: with no worker (the API, Temporal and
 * PostgreSQL doing ingest alone) and with a worker processing what comes in, which on a small
 * machine competes with ingest for the same cores. Each rate's leftover records are ended before
 * the next rate, so no backlog carries over.
 */
import { workflowIdFor } from '../../../contract';
import { terminateRunning } from '../cleanup';
import { waitForStarted } from '../completion';
import { cpuDelta, machineBusySeconds, otherCores, perRecordMs, type CpuByComponent } from '../cpu';
import { openLoop, type LoadResult, type LoadSpec } from '../loadgen';
import { loadAverage, type LoadAverage } from '../machine';
import { withSession, type RunContext, type SessionPeaks } from '../runs';
import type { Session } from '../session';
import { BENCH_API_KEY } from '../settings';
import { recordId, recordText } from '../submit';

export interface LatencySeries {
  loadBefore: LoadAverage;
  /** Cores busy outside the benchmark while the records were posted. */
  otherCores: number;
  healthz: LoadResult;
  records: LoadResult;
  /** CPU per POST by component while the records were posted: what ingest costs the machine. */
  cpuMsPerRecord: CpuByComponent;
}

export type LatencyMode = 'api-only' | 'with-worker';
export type LatencyRun = { mode: LatencyMode; series: LatencySeries[] } & SessionPeaks;
export type LatencyRep = Record<LatencyMode, LatencyRun>;

interface Rate {
  ratePerSecond: number;
  seconds: number;
}

const WARM_UP: Rate = { ratePerSecond: 20, seconds: 1 };
const STARTS_TIMEOUT_MS = 120_000;

function specs(apiUrl: string, prefix: string, rate: Rate): { healthz: LoadSpec; records: LoadSpec } {
  const common = { ...rate, headers: { authorization: `Bearer ${BENCH_API_KEY}`, 'content-type': 'application/json' } };
  return {
    healthz: { ...common, url: `${apiUrl}/healthz`, method: 'GET', expectStatus: 200 },
    records: {
      ...common,
      url: `${apiUrl}/v1/records`,
      method: 'POST',
      expectStatus: 202,
      body: (i) => JSON.stringify({ id: recordId(prefix, i), input: { text: recordText(i) } }),
    },
  };
}

async function series(ctx: RunContext, session: Session, prefix: string, rate: Rate): Promise<LatencySeries> {
  const loadBefore = loadAverage();
  const load = specs(session.apiUrl as string, prefix, rate);
  const healthz = await openLoop(load.healthz);
  const cpuBefore = session.cpu();
  const machineBefore = machineBusySeconds();
  const started = Date.now();
  const records = await openLoop(load.records);
  // The starts behind the answers are part of what ingest costs, and must not spill into the next rate.
  await waitForStarted(ctx.bench.client, workflowIdFor(`${prefix}-`), records.ok, () => session.assertAlive(), STARTS_TIMEOUT_MS);
  const cpu = cpuDelta(cpuBefore, session.cpu());
  const other = otherCores(machineBefore, machineBusySeconds(), cpu, (Date.now() - started) / 1000);
  session.assertAlive();
  await terminateRunning(ctx.bench.client, workflowIdFor(`${prefix}-`), 'latency series over');
  return { loadBefore, otherCores: other, healthz, records, cpuMsPerRecord: perRecordMs(cpu, records.sent) };
}

export function latencyRun(ctx: RunContext, tag: string, mode: LatencyMode, apiNodeFlags?: string[]): Promise<LatencyRun> {
  const workers = mode === 'with-worker' ? 1 : 0;
  return withSession(ctx, { tag, kind: 'pipeline', workers, api: true, apiNodeFlags }, async (session) => {
    await series(ctx, session, `${tag}-warm`, WARM_UP);
    const all: LatencySeries[] = [];
    for (const ratePerSecond of ctx.options.latency.ratesPerSecond) {
      ctx.log(`  ${mode}: ${ratePerSecond} req/s for ${ctx.options.latency.seconds} s`);
      all.push(await series(ctx, session, `${tag}-r${ratePerSecond}`, { ratePerSecond, seconds: ctx.options.latency.seconds }));
    }
    return { mode, series: all };
  });
}

export async function latencyRep(ctx: RunContext, tag: string): Promise<LatencyRep> {
  return {
    'api-only': await latencyRun(ctx, `${tag}-api`, 'api-only'),
    'with-worker': await latencyRun(ctx, `${tag}-worker`, 'with-worker'),
  };
}
