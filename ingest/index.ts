/**
 * The one ingestion path (DESIGN G5): HTTP, upload and MLLP all call `ingest`. The `records` row is
 * written first and is the permanent key, so a second start for an id is refused even after
 * Temporal has forgotten the closed run; the workflow id policies are the first line of defence.
 */
import { type Client, WorkflowExecutionAlreadyStartedError } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import {
  createRecordBodySchema,
  DEFAULT_ACCOUNT,
  recordStatusKey,
  TERMINAL_STATUSES,
  workflowIdFor,
  type CreateRecordBody,
  type PipelineOptions,
  type RecordInput,
  type RecordStatus,
  type Source,
} from '../contract';
import type { Db } from '../db/client';
import type { Prisma } from '../prisma/generated/client';
import type { processRecord } from '../workflows';

export type IngestOutcome =
  | { outcome: 'accepted' | 'duplicate'; id: string; workflowId: string; status: RecordStatus }
  | { outcome: 'conflict'; id: string; message: string }
  | { outcome: 'invalid'; issues: z.core.$ZodIssue[]; message: string };

/** The pipeline cannot take work now (database or Temporal unreachable): the sender should retry. */
export class PipelineUnavailableError extends Error {
  override name = 'PipelineUnavailableError';
}

export interface StarterDeps {
  temporal: Client;
  taskQueue: string;
  pipeline: PipelineOptions;
  startTimeoutMs: number;
}

/** A workflow's memo: kept on the record's row, so every later start of it (duplicate, reconciler) is the same. */
export type StartMemo = Record<string, unknown>;

/**
 * What a deployment adds to the one ingest path beyond the contract's schema: a body it refuses,
 * and the memo a record's workflow starts with.
 */
export interface IngestExtension {
  refuse(body: CreateRecordBody): z.core.$ZodIssue[];
  memo(body: CreateRecordBody): StartMemo | undefined;
}

export interface IngestDeps extends StarterDeps {
  db: Db;
  extension: IngestExtension;
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export const inputHashOf = (input: RecordInput): string => createHash('sha256').update(canonicalJson(input)).digest('hex');

const describeIssues = (issues: z.core.$ZodIssue[]): string =>
  issues.map((i) => `${i.path.join('.') || 'body'}: ${i.message}`).join('; ');

/**
 * Starts `record-<id>` at most once: REJECT_DUPLICATE and FAIL make a second start an
 * "already started" answer, which is what a retried ingest or a reconciler wants to hear.
 */
export function createRecordStarter({ temporal, taskQueue, pipeline, startTimeoutMs }: StarterDeps) {
  return async function startRecordWorkflow(id: string, source: string, memo: StartMemo | undefined): Promise<void> {
    try {
      // The deadline bounds the client's retries too: a sender waiting on us should hear "retry" in seconds.
      await temporal.withDeadline(Date.now() + startTimeoutMs, () =>
        temporal.workflow.start<typeof processRecord>('processRecord', {
          workflowId: workflowIdFor(id),
          taskQueue,
          args: [{ id, account: DEFAULT_ACCOUNT, pipeline }],
          memo,
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
          typedSearchAttributes: [{ key: recordStatusKey, value: 'received' }],
          staticSummary: `record ${id} from ${source}`,
        }),
      );
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return;
      throw new PipelineUnavailableError(`Temporal did not accept the workflow start: ${(err as Error).message}`, { cause: err });
    }
  };
}

export type RecordStarter = ReturnType<typeof createRecordStarter>;

export function createIngest(deps: IngestDeps) {
  const { db, extension } = deps;
  const startWorkflow = createRecordStarter(deps);
  async function storeOrFind(source: Source, id: string, input: RecordInput, inputHash: string, memo: StartMemo | undefined) {
    try {
      const created = await db.record.createMany({
        data: [{ id, source, input, inputHash, memo: memo as Prisma.InputJsonObject | undefined, status: 'received' }],
        skipDuplicates: true,
      });
      const row = await db.record.findUniqueOrThrow({ where: { id }, select: { inputHash: true, status: true, memo: true, source: true } });
      return { created: created.count === 1, row };
    } catch (err) {
      throw new PipelineUnavailableError(`the database did not store the record: ${(err as Error).message}`, { cause: err });
    }
  }

  return async function ingest(source: Source, candidate: unknown): Promise<IngestOutcome> {
    const parsed = createRecordBodySchema.safeParse(candidate);
    if (!parsed.success) return { outcome: 'invalid', issues: parsed.error.issues, message: describeIssues(parsed.error.issues) };
    const refused = extension.refuse(parsed.data);
    if (refused.length > 0) return { outcome: 'invalid', issues: refused, message: describeIssues(refused) };
    const { id, input } = parsed.data;
    const inputHash = inputHashOf(input);
    const { created, row } = await storeOrFind(source, id, input, inputHash, extension.memo(parsed.data));
    if (row.inputHash !== inputHash) {
      return { outcome: 'conflict', id, message: `record ${id} already exists with a different input` };
    }
    const status = row.status as RecordStatus;
    // A duplicate of a record whose start was lost (crash between row and start) starts it now.
    if (!TERMINAL_STATUSES.includes(status)) await startWorkflow(id, row.source, (row.memo ?? undefined) as StartMemo | undefined);
    return { outcome: created ? 'accepted' : 'duplicate', id, workflowId: workflowIdFor(id), status };
  };
}

export type Ingest = ReturnType<typeof createIngest>;
