/**
 * How work enters a run: through the product's own ingest (the records row, then the workflow
 * start), or, for a baseline, a bare workflow start; all from a pool of the same size.
 */
import type { Client } from '@temporalio/client';
import { type FaultPlan, type PipelineOptions } from '../../contract';
import type { Ingest } from '../../ingest';

export type Submit = (index: number) => Promise<void>;

/** `count` tasks, at most `concurrency` at a time: a client with a bounded connection pool. */
export async function inPool(count: number, concurrency: number, task: Submit): Promise<void> {
  let next = 0;
  const runner = async () => {
    while (next < count) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, runner));
}

// Words of four letters or more, so the simulator's labelling has something to count.
export const recordText = (index: number): string =>
  `Patient ${index}: fasting glucose 5.4 mmol/L, haemoglobin 13.2 g/dL, creatinine normal; follow-up visit in four weeks.`;

export const recordId = (prefix: string, index: number): string => `${prefix}-${index}`;
export const baselinePrefix = (prefix: string): string => `baseline-${prefix}-`;
export const baselineWorkflowId = (prefix: string, index: number): string => `${baselinePrefix(prefix)}${index}`;

export interface RecordSubmission {
  prefix: string;
  faults?: (index: number) => FaultPlan | undefined;
}

export function ingestSubmitter(ingest: Ingest, { prefix, faults }: RecordSubmission): Submit {
  return async (index) => {
    const simulate = faults?.(index);
    const outcome = await ingest('api', { id: recordId(prefix, index), input: { text: recordText(index) }, ...(simulate ? { simulate } : {}) });
    if (outcome.outcome !== 'accepted') throw new Error(`record ${recordId(prefix, index)} was not accepted: ${JSON.stringify(outcome)}`);
  };
}

/** The workflow each baseline's bundle holds (bench/baseline-workflow.ts, bench/mixed-baseline-workflow.ts). */
export const BASELINE_WORKFLOWS = { baseline: 'baselineRecord', mixed: 'mixedBaselineRecord' } as const;
export type BaselineKind = keyof typeof BASELINE_WORKFLOWS;

export function baselineSubmitter(client: Client, kind: BaselineKind, taskQueue: string, pipeline: PipelineOptions, prefix: string): Submit {
  return async (index) => {
    const id = recordId(prefix, index);
    await client.workflow.start(BASELINE_WORKFLOWS[kind], { workflowId: baselineWorkflowId(prefix, index), taskQueue, args: [{ id, pipeline }] });
  };
}
