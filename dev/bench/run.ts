/**
 * The whole benchmark: one environment, then each repetition runs every chosen scenario once, so
 * the pipeline and its baselines are always measured minutes apart on the same machine, and drift
 * (other load, the app's growing tables) shows up as spread instead of as bias. Each run gets a dev
 * server with an empty store (BenchEnvironment.freshTemporal).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { ProvisionOptions } from '../provision';
import { compileForBench } from './build';
import { startEnvironment, type Log } from './environment';
import { describeMachine, loadAverage, type LoadAverage, type Machine } from './machine';
import type { BenchOptions } from './options';
import { summarizeProfiles, type ProfileSummary } from './profile';
import { baselineRun, pipelineRun, type MeasuredRun, type RunContext } from './runs';
import { faultRep, type FaultRep } from './scenarios/faults';
import { isolationRep, type IsolationRep } from './scenarios/isolation';
import { latencyRep, latencyRun, type LatencyRep } from './scenarios/latency';

export interface RepResult {
  rep: number;
  /** The three-regular-activity baseline (bench/baseline-workflow.ts). */
  baseline?: MeasuredRun;
  /** The mixed baseline: local charge and persist, a regular infer (bench/mixed-baseline-workflow.ts). */
  mixed?: MeasuredRun;
  /** The clean one-worker pipeline run: figure 1, the clean side of figure 4, one side of figure 6. */
  pipeline?: MeasuredRun;
  twoWorkers?: MeasuredRun;
  faults?: FaultRep;
  isolation?: IsolationRep;
  latency?: LatencyRep;
}

export interface BenchResults {
  startedAt: string;
  finishedAt: string;
  machine: Machine;
  loadBefore: LoadAverage;
  options: BenchOptions;
  reps: RepResult[];
  profiles?: ProfileSummary[];
}

async function step<T>(ctx: RunContext, label: string, run: () => Promise<T>): Promise<T> {
  ctx.log(`${label} (load ${loadAverage().join(' ')})`);
  const result = await run();
  ctx.log(`${label}: done`);
  return result;
}

type Throughput = Pick<RepResult, 'baseline' | 'mixed' | 'pipeline'>;

async function throughputRuns(ctx: RunContext, rep: number): Promise<Throughput> {
  const pipeline = () => step(ctx, `rep ${rep}: pipeline, 1 worker`, () => pipelineRun(ctx, `p1-r${rep}`, 1));
  if (!ctx.options.scenarios.includes('throughput')) return { pipeline: await pipeline() };
  const runs: Array<[keyof Throughput, () => Promise<MeasuredRun>]> = [
    ['baseline', () => step(ctx, `rep ${rep}: baseline, 3 regular activities`, () => baselineRun(ctx, 'baseline', `base-r${rep}`))],
    ['mixed', () => step(ctx, `rep ${rep}: baseline, mixed`, () => baselineRun(ctx, 'mixed', `mixed-r${rep}`))],
    ['pipeline', pipeline],
  ];
  // Each repetition starts one further along the three, so over three repetitions each runs first,
  // second and third once, and what drifts through the run (other load, the production topology's
  // Temporal store) hits all alike.
  const result: Throughput = {};
  for (let i = 0; i < runs.length; i++) {
    const [key, run] = runs[(rep - 1 + i) % runs.length] as (typeof runs)[number];
    result[key] = await run();
  }
  return result;
}

async function repetition(ctx: RunContext, rep: number): Promise<RepResult> {
  const { scenarios } = ctx.options;
  const result: RepResult = { rep };
  if (scenarios.some((s) => s === 'throughput' || s === 'pipeline' || s === 'faults' || s === 'scaling')) Object.assign(result, await throughputRuns(ctx, rep));
  if (scenarios.includes('scaling')) result.twoWorkers = await step(ctx, `rep ${rep}: pipeline, 2 workers`, () => pipelineRun(ctx, `p2-r${rep}`, 2));
  if (scenarios.includes('faults')) result.faults = await step(ctx, `rep ${rep}: 30 % faults`, () => faultRep(ctx, `faults-r${rep}`));
  if (scenarios.includes('isolation')) result.isolation = await step(ctx, `rep ${rep}: isolation`, () => isolationRep(ctx, `iso-r${rep}`));
  if (scenarios.includes('latency')) result.latency = await step(ctx, `rep ${rep}: ingest latency`, () => latencyRep(ctx, `lat-r${rep}`));
  return result;
}

/**
 * Kept apart from the figures, so the profiler's cost is in none of them: a clean pipeline run with
 * the worker under --cpu-prof, and the API alone under --cpu-prof through the latency series.
 */
async function profiledRuns(ctx: RunContext, dir: string): Promise<ProfileSummary[]> {
  const [worker, api] = [path.join(dir, 'worker'), path.join(dir, 'api')];
  [worker, api].forEach((d) => mkdirSync(d, { recursive: true }));
  await step(ctx, 'profiled pipeline run', () => pipelineRun(ctx, 'profiled', 1, {}, ['--cpu-prof', `--cpu-prof-dir=${worker}`]));
  await step(ctx, 'profiled API run', () => latencyRun(ctx, 'profiled-api', 'api-only', ['--cpu-prof', `--cpu-prof-dir=${api}`]));
  return [...summarizeProfiles('worker', worker), ...summarizeProfiles('api', api)];
}

export async function runBench(options: BenchOptions, provision: ProvisionOptions, baseEnv: NodeJS.ProcessEnv, profileDir: string, log: Log): Promise<BenchResults> {
  const startedAt = new Date().toISOString();
  if (options.runtime === 'compiled') await compileForBench(log);
  const loadBefore = loadAverage();
  const bench = await startEnvironment({ provision, topology: options.topology, temporalStore: options.temporalStore, baseEnv, log });
  let failed = true;
  try {
    const ctx: RunContext = { bench, baseEnv, options, log };
    const reps: RepResult[] = [];
    for (let rep = 1; rep <= options.reps; rep++) reps.push(await repetition(ctx, rep));
    const profiles = options.profile ? await profiledRuns(ctx, profileDir) : undefined;
    failed = false;
    return { startedAt, finishedAt: new Date().toISOString(), machine: describeMachine(), loadBefore, options, reps, ...(profiles ? { profiles } : {}) };
  } finally {
    if (failed) log(`failed: processes' logs kept in ${bench.logDir}`);
    await bench.stop(failed);
  }
}
