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
  globalIdOf,
  recordAccountKey,
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
import type { processRecord } from '../workflows/processRecord';
import { storeRecord } from './store';

/** What ingest answers: `id` is the record's id as the sender gave it, `workflowId` names its global id. */
export type IngestOutcome =
  | { outcome: 'accepted' | 'duplicate'; id: string; workflowId: string; status: RecordStatus }
  | { outcome: 'conflict'; id: string; message: string }
  | { outcome: 'over_budget'; id: string; message: string; budgetCents: number; remainingCents: number; priceCents: number }
  | { outcome: 'invalid'; issues: z.core.$ZodIssue[]; message: string };

/**
 * The pipeline cannot take work now (database or Temporal unreachable): the sender should retry.
 * The message is for the sender; what went wrong inside is its `cause`, for the log.
 */
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
  /** PRICE_CENTS: the price of an account that sets none. */
  defaultPriceCents: number;
  /**
   * Set: ingest answers once the row is stored and the workflow is started behind the answer (the
   * HTTP API). Unset: it answers only once Temporal has accepted the start (MLLP's ACK, DESIGN §7).
   */
  background?: { enqueue: (...start: Parameters<RecordStarter>) => void };
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

const invalid = (issues: z.core.$ZodIssue[]): IngestOutcome => ({ outcome: 'invalid', issues, message: describeIssues(issues) });

/**
 * Starts `record-<global id>` at most once: REJECT_DUPLICATE and FAIL make a second start an
 * "already started" answer, which is what a retried ingest or a reconciler wants to hear.
 */
export function createRecordStarter({ temporal, taskQueue, pipeline, startTimeoutMs }: StarterDeps) {
  return async function startRecordWorkflow(id: string, account: string, source: string, memo: StartMemo | undefined): Promise<void> {
    try {
      // The deadline bounds the client's retries too: a sender waiting on us should hear "retry" in seconds.
      await temporal.withDeadline(Date.now() + startTimeoutMs, () =>
        temporal.workflow.start<typeof processRecord>('processRecord', {
          workflowId: workflowIdFor(id),
          taskQueue,
          args: [{ id, account, pipeline }],
          memo,
          workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
          typedSearchAttributes: [
            { key: recordStatusKey, value: 'received' },
            { key: recordAccountKey, value: account },
          ],
          staticSummary: `record ${id} from ${source}`,
        }),
      );
    } catch (err) {
      if (err instanceof WorkflowExecutionAlreadyStartedError) return;
      throw new PipelineUnavailableError('Temporal did not accept the workflow start', { cause: err });
    }
  };
}

export type RecordStarter = ReturnType<typeof createRecordStarter>;

export function createIngest(deps: IngestDeps) {
  const { db, extension, defaultPriceCents, background } = deps;
  const startWorkflow = createRecordStarter(deps);

  /** Everything a sender can do wrong is answered here; an exception means the pipeline could not take the record now. */
  return async function ingest(source: Source, candidate: unknown, account: string = DEFAULT_ACCOUNT): Promise<IngestOutcome> {
    const parsed = createRecordBodySchema.safeParse(candidate);
    if (!parsed.success) return invalid(parsed.error.issues);
    const refused = extension.refuse(parsed.data);
    if (refused.length > 0) return invalid(refused);
    const { id: recordKey, input } = parsed.data;
    const id = globalIdOf(account, recordKey);
    const inputHash = inputHashOf(input);
    const stored = await storeRecord(db, { id, account, recordKey, source, input, inputHash, memo: extension.memo(parsed.data), defaultPriceCents }).catch((err: unknown) => {
      throw new PipelineUnavailableError('the database did not store the record', { cause: err });
    });
    switch (stored.kind) {
      case 'no_account':
        return invalid([{ code: 'custom', path: ['account'], message: `account ${account} does not exist`, input: account }]);
      case 'over_budget':
        return {
          outcome: 'over_budget',
          id: recordKey,
          message: `account ${account} has ${stored.remainingCents} cents of its ${stored.budgetCents} cents budget left this month; a record costs ${stored.priceCents}`,
          ...stored,
        };
    }
    const { row } = stored;
    if (row.inputHash !== inputHash) return { outcome: 'conflict', id: recordKey, message: `record ${recordKey} already exists with a different input` };
    const status = row.status as RecordStatus;
    // A duplicate of a record whose start was lost (crash between row and start) starts it now.
    if (!TERMINAL_STATUSES.includes(status)) {
      const memo = (row.memo ?? undefined) as StartMemo | undefined;
      if (background) background.enqueue(id, account, row.source, memo);
      else await startWorkflow(id, account, row.source, memo);
    }
    return { outcome: stored.kind === 'inserted' ? 'accepted' : 'duplicate', id: recordKey, workflowId: workflowIdFor(id), status };
  };
}

export type Ingest = ReturnType<typeof createIngest>;
