/** A throughput run of the pipeline or of a baseline: its own processes, started and stopped around it. */
import { workflowIdFor, type PipelineOptions } from '../../contract';
import { createIngest } from '../../ingest';
import { faultPlanIngest } from '../../faults/ingest';
import { ingestSettings } from '../../ingest/settings';
import type { BenchEnvironment, Log } from './environment';
import { measureThroughput, type ThroughputRun } from './measure';
import type { BenchOptions } from './options';
import { startSession, type Session, type SessionOptions } from './session';
import { baselinePrefix, baselineSubmitter, baselineWorkflowId, ingestSubmitter, recordId, type BaselineKind, type RecordSubmission, type Submit } from './submit';

export interface RunContext {
  bench: BenchEnvironment;
  baseEnv: NodeJS.ProcessEnv;
  options: BenchOptions;
  log: Log;
}

export type MeasuredRun = ThroughputRun & SessionPeaks;

/** The product's ingest in the bench process; `pipeline` gives records another provider chain than the session's. */
export function sessionIngest(ctx: RunContext, session: Session, pipeline: PipelineOptions = session.config.pipeline) {
  return createIngest({ ...ingestSettings(session.config, ctx.bench.db, ctx.bench.client), pipeline, extension: faultPlanIngest(true) });
}

/** Records of one submission, for the measured part of a plan. */
export const measuredRecords = (prefix: string, count: number) => ({
  prefix: workflowIdFor(`${prefix}-`),
  count,
  workflowId: (n: number) => workflowIdFor(recordId(prefix, n)),
});

export interface SessionPeaks {
  tag: string;
  workerPeakRssMiB: Array<number | null>;
  apiPeakRssMiB: number | null;
}

/** Runs `run` on a fresh session and stops it however the run ends, keeping the processes' peak memory. */
export async function withSession<T>(ctx: RunContext, options: SessionOptions, run: (session: Session) => Promise<T>): Promise<T & SessionPeaks> {
  const session = await startSession(ctx.bench, ctx.baseEnv, ctx.options.runtime, options);
  try {
    const result = await run(session);
    return { ...result, tag: options.tag, ...(await session.stop()) };
  } catch (err) {
    await session.stop().catch(() => undefined);
    throw err;
  }
}

export function pipelineRun(ctx: RunContext, tag: string, workers: number, submission: Omit<RecordSubmission, 'prefix'> = {}, workerNodeFlags?: string[]): Promise<MeasuredRun> {
  const { records, submitConcurrency } = ctx.options;
  return withSession(ctx, { tag, kind: 'pipeline', workers, workerNodeFlags }, (session) => {
    const submit: Submit = ingestSubmitter(sessionIngest(ctx, session), { prefix: tag, ...submission });
    return measureThroughput(ctx.bench, session, { submissions: records, concurrency: submitConcurrency, submit, measured: measuredRecords(tag, records) });
  });
}

export function baselineRun(ctx: RunContext, kind: BaselineKind, tag: string): Promise<MeasuredRun> {
  const { records, submitConcurrency } = ctx.options;
  return withSession(ctx, { tag, kind, workers: 1 }, (session) => {
    const { taskQueue } = session.config.temporal;
    const submit = baselineSubmitter(ctx.bench.client, kind, taskQueue, session.config.pipeline, tag);
    const measured = { prefix: baselinePrefix(tag), count: records, workflowId: (n: number) => baselineWorkflowId(tag, n) };
    return measureThroughput(ctx.bench, session, { submissions: records, concurrency: submitConcurrency, submit, measured });
  });
}
