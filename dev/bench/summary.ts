/**
 * The figures from the raw repetitions: each a median with its spread, the target it answers to
 * (issue 8's, as the lean-core issue restated them), and the other load on the machine while it was taken.
 */
import type { LoadResult } from './loadgen';
import type { MeasuredRun } from './runs';
import { isPersistenceOperation, PERSISTENCE_TOTAL, requestLabel, WORKER_COUNT_NAMES } from './requests';
import type { LatencyMode, LatencySeries } from './scenarios/latency';
import type { BenchResults, RepResult } from './run';
import { round, summarize, type Spread } from './stats';

export interface Target {
  op: '>=' | '<=';
  value: number;
}

export interface Figure {
  label: string;
  unit: string;
  spread: Spread;
  target?: Target;
  met?: boolean;
  /** Cores kept busy outside the benchmark during each repetition of it. */
  otherCores: number[];
}

export interface LatencyRow {
  mode: LatencyMode;
  ratePerSecond: number;
  endpoint: string;
  p50Ms: Spread;
  p95Ms: Spread;
  p99Ms: Spread;
  maxMs: Spread;
  errors: number;
  achievedPerSecond: Spread;
  /** POST rows only: CPU ms per request by component, medians of the repetitions. */
  cpuMsPerRequest?: Record<string, number>;
  otherCores: number[];
}

export interface FaultClassRow {
  name: string;
  recordsPerRun: number;
  extraModelCallsPerRecord: Spread;
  expected: number;
  afterOutputStored: boolean;
}

export interface CostRow {
  label: string;
  baseline: Spread | undefined;
  mixed: Spread | undefined;
  pipeline: Spread | undefined;
  twoWorkers: Spread | undefined;
}

export interface Summary {
  figures: Figure[];
  latency: LatencyRow[];
  faultClasses: FaultClassRow[];
  costs: CostRow[];
}

type Sample = { value: number; other: number };

const meets = (median: number, t: Target): boolean => (t.op === '>=' ? median >= t.value : median <= t.value);

function figure(label: string, unit: string, samples: Sample[], target?: Target): Figure[] {
  if (samples.length === 0) return [];
  const spread = summarize(samples.map((s) => s.value));
  const otherCores = samples.map((s) => s.other);
  return [{ label, unit, spread, otherCores, ...(target ? { target, met: meets(spread.median, target) } : {}) }];
}

const rate = (run: MeasuredRun): Sample => ({ value: run.perSecond, other: run.otherCores });
const ratio = (num: MeasuredRun, den: MeasuredRun): Sample => ({ value: round(num.perSecond / den.perSecond, 3), other: Math.max(num.otherCores, den.otherCores) });
const pairs = <K extends keyof RepResult, L extends keyof RepResult>(reps: RepResult[], a: K, b: L) =>
  reps.flatMap((r) => (r[a] && r[b] ? [[r[a], r[b]] as [NonNullable<RepResult[K]>, NonNullable<RepResult[L]>]] : []));
const each = <K extends keyof RepResult>(reps: RepResult[], key: K) => reps.flatMap((r) => (r[key] ? [r[key] as NonNullable<RepResult[K]>] : []));

function throughputFigures(reps: RepResult[]): Figure[] {
  const regular = pairs(reps, 'pipeline', 'baseline');
  const mixed = pairs(reps, 'pipeline', 'mixed');
  return [
    ...figure('1. throughput: baseline, 3 regular no-op activities', 'records/s', regular.map(([, b]) => rate(b))),
    ...figure('1. throughput: baseline, mixed (local charge and persist, regular infer)', 'records/s', mixed.map(([, m]) => rate(m))),
    ...figure('1. throughput: pipeline, simulator at 0 ms', 'records/s', (regular.length ? regular : mixed).map(([p]) => rate(p))),
    ...figure('1. throughput: pipeline / mixed baseline', '×', mixed.map(([p, m]) => ratio(p, m)), { op: '>=', value: 0.8 }),
    ...figure('1. throughput: pipeline / 3-regular baseline', '×', regular.map(([p, b]) => ratio(p, b)), { op: '>=', value: 1.2 }),
  ];
}

const LATENCY_MODES: Record<LatencyMode, string> = { 'api-only': 'no worker running', 'with-worker': 'worker processing the records' };
/** The target holds while a worker processes what arrives; without one, the figure only shows what ingest alone costs. */
const LATENCY_TARGETS: Record<LatencyMode, Target | undefined> = { 'api-only': undefined, 'with-worker': { op: '<=', value: 50 } };
const TARGET_RATE = 100;

const seriesAt100 = (reps: RepResult[], mode: LatencyMode) => each(reps, 'latency').flatMap((rep) => rep[mode].series.filter((s) => s.records.ratePerSecond === TARGET_RATE));

function latencyFigures(reps: RepResult[]): Figure[] {
  return (['with-worker', 'api-only'] as const).flatMap((mode) => {
    const samples = seriesAt100(reps, mode).map((s) => ({ value: s.records.p99Ms, other: s.otherCores }));
    return figure(`2. POST /v1/records p99 at ${TARGET_RATE} req/s, ${LATENCY_MODES[mode]}`, 'ms', samples, LATENCY_TARGETS[mode]);
  });
}

function isolationFigures(reps: RepResult[]): Figure[] {
  const runs = each(reps, 'isolation');
  return [
    ...figure('3. isolation: B with A healthy', 'records/s', runs.map((r) => rate(r.healthy))),
    ...figure('3. isolation: B with A answering in 5 s', 'records/s', runs.map((r) => rate(r.slow))),
    ...figure('3. isolation: B slow-A / B healthy-A', '×', runs.map((r) => ratio(r.slow, r.healthy)), { op: '>=', value: 0.9 }),
  ];
}

function faultFigures(reps: RepResult[]): Figure[] {
  const withClean = pairs(reps, 'faults', 'pipeline');
  const afterStored = (f: RepResult['faults'] & object) => Math.max(...f.classes.filter((c) => c.afterOutputStored).map((c) => c.extraModelCallsPerRecord));
  return [
    ...figure('4. faults: 30 % fault mix', 'records/s', withClean.map(([f]) => rate(f.run))),
    ...figure('4. faults: fault mix / clean', '×', withClean.map(([f, p]) => ratio(f.run, p))),
    ...figure('4. faults: extra model calls per record, faults after the output is stored', 'calls', withClean.map(([f]) => ({ value: afterStored(f), other: f.run.otherCores })), { op: '<=', value: 0 }),
    ...figure('4. faults: invariant violations (auditor SQL)', 'rows', withClean.map(([f]) => ({ value: f.violations, other: f.run.otherCores })), { op: '<=', value: 0 }),
  ];
}

const peak = (values: Array<number | null>): number => Math.max(0, ...values.map((v) => v ?? 0));
const workerPeak = (run: MeasuredRun): Sample => ({ value: peak(run.workerPeakRssMiB), other: run.otherCores });
const peakRatio = (num: MeasuredRun, den: MeasuredRun): Sample => ({ value: round(peak(num.workerPeakRssMiB) / peak(den.workerPeakRssMiB), 3), other: Math.max(num.otherCores, den.otherCores) });
const WORKER_RSS_TARGET: Target = { op: '<=', value: 1.1 };

/**
 * The worker's target compares like with like: the clean pipeline run against each baseline's run of
 * the same records in the same repetition. The largest peak over every run the pipeline's worker
 * served (the isolation run keeps the most records open) is shown beside it.
 */
function memoryFigures(reps: RepResult[]): Figure[] {
  const regular = pairs(reps, 'pipeline', 'baseline');
  const mixed = pairs(reps, 'pipeline', 'mixed');
  const workerRuns = (r: RepResult) => [r.pipeline, r.twoWorkers, r.faults?.run, r.isolation?.healthy, r.isolation?.slow, r.latency?.['with-worker']].flatMap((x) => (x ? [x] : []));
  const repOther = (r: RepResult) => Math.max(0, ...[r.pipeline, r.twoWorkers, r.faults?.run].flatMap((x) => (x ? [x.otherCores] : [])));
  const largest = reps.flatMap((r) => (workerRuns(r).length ? [{ value: peak(workerRuns(r).flatMap((x) => x.workerPeakRssMiB)), other: repOther(r) }] : []));
  const apis = each(reps, 'latency').map((l) => ({
    value: peak([l['api-only'].apiPeakRssMiB, l['with-worker'].apiPeakRssMiB]),
    other: Math.max(0, ...l['api-only'].series.map((s) => s.otherCores)),
  }));
  return [
    ...figure('5. memory: baseline worker peak RSS (VmHWM), 3 regular activities', 'MiB', regular.map(([, b]) => workerPeak(b))),
    ...figure('5. memory: baseline worker peak RSS (VmHWM), mixed', 'MiB', mixed.map(([, m]) => workerPeak(m))),
    ...figure('5. memory: pipeline worker peak RSS (VmHWM), clean run', 'MiB', each(reps, 'pipeline').map(workerPeak)),
    ...figure('5. memory: pipeline worker / mixed baseline worker, peak RSS', '×', mixed.map(([p, m]) => peakRatio(p, m)), WORKER_RSS_TARGET),
    ...figure('5. memory: pipeline worker / 3-regular baseline worker, peak RSS', '×', regular.map(([p, b]) => peakRatio(p, b)), WORKER_RSS_TARGET),
    ...figure('5. memory: pipeline worker peak RSS, largest over every run', 'MiB', largest),
    ...figure('5. memory: API process peak RSS (VmHWM)', 'MiB', apis, { op: '<=', value: 200 }),
  ];
}

function scalingFigures(reps: RepResult[]): Figure[] {
  const both = pairs(reps, 'twoWorkers', 'pipeline');
  return [
    ...figure('6. scaling: 1 worker process', 'records/s', both.map(([, one]) => rate(one))),
    ...figure('6. scaling: 2 worker processes', 'records/s', both.map(([two]) => rate(two))),
    ...figure('6. scaling: 2 workers / 1 worker', '×', both.map(([two, one]) => ratio(two, one)), { op: '>=', value: 1 }),
  ];
}

const CPU_TARGET: Target = { op: '<=', value: 30 };

/**
 * CPU per record of each component the product runs: the worker, Temporal and PostgreSQL over the
 * clean pipeline run (ingest included, done there by the bench process through the product's own
 * ingest), and the API per POST /v1/records in the target's latency series.
 */
function cpuFigures(reps: RepResult[]): Figure[] {
  const pipeline = each(reps, 'pipeline');
  const fromRun = (component: string) => pipeline.flatMap((r) => (r.cpuMsPerRecord[component] === undefined ? [] : [{ value: r.cpuMsPerRecord[component], other: r.otherCores }]));
  const api = seriesAt100(reps, 'with-worker').flatMap((s) => (s.cpuMsPerRecord.api === undefined ? [] : [{ value: s.cpuMsPerRecord.api, other: s.otherCores }]));
  return [
    ...(['workers', 'temporal', 'postgres', 'postgres-temporal'] as const).flatMap((c) => figure(`7. CPU per record: ${COMPONENTS[c]}, clean pipeline run`, 'ms', fromRun(c), CPU_TARGET)),
    ...figure(`7. CPU per record: API, per POST at ${TARGET_RATE} req/s with the worker running`, 'ms', api, CPU_TARGET),
  ];
}

function latencyRows(reps: RepResult[]): LatencyRow[] {
  return (Object.keys(LATENCY_MODES) as LatencyMode[]).flatMap((mode) => {
    const all = each(reps, 'latency').flatMap((rep) => rep[mode].series);
    const rates = [...new Set(all.map((s) => s.records.ratePerSecond))];
    return rates.flatMap((ratePerSecond) => {
      const series = all.filter((s) => s.records.ratePerSecond === ratePerSecond);
      const row = (endpoint: string, pick: (s: LatencySeries) => LoadResult): LatencyRow => ({
        mode,
        ratePerSecond,
        endpoint,
        p50Ms: summarize(series.map((s) => pick(s).p50Ms)),
        p95Ms: summarize(series.map((s) => pick(s).p95Ms)),
        p99Ms: summarize(series.map((s) => pick(s).p99Ms)),
        maxMs: summarize(series.map((s) => pick(s).maxMs)),
        errors: series.reduce((n, s) => n + pick(s).errors, 0),
        achievedPerSecond: summarize(series.map((s) => pick(s).achievedPerSecond)),
        otherCores: series.map((s) => s.otherCores),
      });
      const cpuMsPerRequest = medians(series.map((s) => s.cpuMsPerRecord));
      return [row('GET /healthz', (s) => s.healthz), { ...row('POST /v1/records', (s) => s.records), cpuMsPerRequest }];
    });
  });
}

function medians(samples: Array<Record<string, number>>): Record<string, number> {
  const names = [...new Set(samples.flatMap((s) => Object.keys(s)))];
  return Object.fromEntries(names.map((n) => [n, summarize(samples.map((s) => s[n] ?? 0)).median]));
}

function faultClassRows(reps: RepResult[]): FaultClassRow[] {
  const runs = each(reps, 'faults');
  const first = runs[0];
  if (!first) return [];
  return first.classes.map((cls, i) => ({
    name: cls.name,
    recordsPerRun: cls.records,
    extraModelCallsPerRecord: summarize(runs.map((r) => r.classes[i]?.extraModelCallsPerRecord ?? Number.NaN)),
    expected: cls.expectedExtraCalls,
    afterOutputStored: cls.afterOutputStored,
  }));
}

const COMPONENTS: Record<string, string> = {
  workers: 'worker process',
  api: 'API process',
  temporal: 'Temporal server',
  postgres: 'PostgreSQL',
  'postgres-temporal': "PostgreSQL, the Temporal server's connections",
  bench: 'bench process (ingest, provider simulator, polling)',
};

function costRows(reps: RepResult[]): CostRow[] {
  const [baseline, mixed, pipeline, twoWorkers] = [each(reps, 'baseline'), each(reps, 'mixed'), each(reps, 'pipeline'), each(reps, 'twoWorkers')];
  const row = (label: string, pick: (run: MeasuredRun) => number | undefined): CostRow => {
    const of = (runs: MeasuredRun[]) => {
      const values = runs.flatMap((run) => (pick(run) === undefined ? [] : [pick(run) as number]));
      return values.length ? summarize(values) : undefined;
    };
    return { label, baseline: of(baseline), mixed: of(mixed), pipeline: of(pipeline), twoWorkers: of(twoWorkers) };
  };
  const components = [...new Set(pipeline.flatMap((p) => Object.keys(p.cpuMsPerRecord)))];
  const all = [...baseline, ...mixed, ...pipeline, ...twoWorkers];
  // The store's operations that happen at least once in two records of some run, the most frequent first.
  const operations = [...new Set(all.flatMap((r) => Object.keys(r.requestsPerRecord ?? {})))]
    .filter(isPersistenceOperation)
    .map((name) => ({ name, most: Math.max(...all.map((r) => r.requestsPerRecord?.[name] ?? 0)) }))
    .filter((op) => op.most >= 0.5)
    .sort((a, b) => b.most - a.most)
    .map((op) => op.name);
  const requests = [...WORKER_COUNT_NAMES, PERSISTENCE_TOTAL, ...operations].filter((name) => all.some((r) => r.requestsPerRecord?.[name] !== undefined));
  return [
    row("machine: CPU ms of the speed probe's fixed work each second, median over the run (lower is faster)", (r) => r.speedProbeMs),
    row('history events per workflow', (r) => r.history.eventsPerWorkflow),
    row('workflow tasks per workflow', (r) => r.history.workflowTasksPerWorkflow),
    row('activity tasks per workflow', (r) => r.history.activityTasksPerWorkflow),
    row('markers per workflow (local activities, patches)', (r) => r.history.markersPerWorkflow),
    row('search-attribute upserts per workflow', (r) => r.history.searchAttributeUpsertsPerWorkflow),
    row('Temporal round trips per workflow (start + poll/complete per task)', (r) => r.history.roundTripsPerWorkflow),
    ...requests.map((name) => row(requestLabel(name), (r) => r.requestsPerRecord?.[name])),
    row('PostgreSQL transactions per record', (r) => r.pgTransactionsPerRecord),
    ...components.map((c) => row(`CPU ms per record: ${COMPONENTS[c] ?? c}`, (r) => r.cpuMsPerRecord[c])),
    row('CPU ms per record: all components', (r) => round(Object.values(r.cpuMsPerRecord).reduce((a, b) => a + b, 0), 2)),
  ];
}

export function summarizeResults({ reps }: Pick<BenchResults, 'reps'>): Summary {
  return {
    figures: [...throughputFigures(reps), ...latencyFigures(reps), ...isolationFigures(reps), ...faultFigures(reps), ...memoryFigures(reps), ...scalingFigures(reps), ...cpuFigures(reps)],
    latency: latencyRows(reps),
    faultClasses: faultClassRows(reps),
    costs: costRows(reps),
  };
}
