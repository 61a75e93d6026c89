/**
 * Isolation (issue 8, figure 3): records whose only provider is B, interleaved with as many whose
 * only provider is A, once with A healthy and once with A answering in 5 s. The figure is B's
 * throughput with A slow over B's throughput with A healthy: each provider has its own task queue
 * and slots, so a slow A should leave B alone.
 */
import { workflowIdFor, type PipelineOptions } from '../../../contract';
import { terminateRunning } from '../cleanup';
import { measureThroughput } from '../measure';
import { measuredRecords, sessionIngest, withSession, type MeasuredRun, type RunContext } from '../runs';
import type { Session } from '../session';
import { ingestSubmitter, type Submit } from '../submit';

export const SLOW_PROVIDER_MS = 5_000;
const PROVIDERS = ['a', 'b'];

export interface IsolationRep {
  healthy: MeasuredRun;
  slow: MeasuredRun;
  ratio: number;
}

const onlyProvider = (pipeline: PipelineOptions, name: string): PipelineOptions => ({ ...pipeline, providers: pipeline.providers.filter((p) => p.name === name) });

function interleaved(ctx: RunContext, session: Session, tag: string): Submit {
  const [a, b] = PROVIDERS.map((name) => ingestSubmitter(sessionIngest(ctx, session, onlyProvider(session.config.pipeline, name)), { prefix: `${tag}-${name}` })) as [Submit, Submit];
  return (i) => (i % 2 === 0 ? a(i / 2) : b((i - 1) / 2));
}

function isolationRun(ctx: RunContext, tag: string, slowMs: number): Promise<MeasuredRun> {
  const providerDelayMs: Record<string, number> = slowMs > 0 ? { a: slowMs } : {};
  return withSession(ctx, { tag, kind: 'pipeline', workers: 1, providers: PROVIDERS, providerDelayMs }, async (session) => {
    const { records, submitConcurrency } = ctx.options;
    const measured = measuredRecords(`${tag}-b`, Math.floor(records / 2));
    try {
      return await measureThroughput(ctx.bench, session, { submissions: measured.count * 2, concurrency: submitConcurrency, submit: interleaved(ctx, session, tag), measured });
    } finally {
      await terminateRunning(ctx.bench.client, workflowIdFor(`${tag}-a-`), 'benchmark run over');
    }
  });
}

export async function isolationRep(ctx: RunContext, tag: string): Promise<IsolationRep> {
  const healthy = await isolationRun(ctx, `${tag}-healthy`, 0);
  const slow = await isolationRun(ctx, `${tag}-slow`, SLOW_PROVIDER_MS);
  return { healthy, slow, ratio: slow.perSecond / healthy.perSecond };
}
