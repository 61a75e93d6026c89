/**
 * What the workflow and the activities exchange, and the workflow's messages: its input, the
 * activities' inputs and results, the investigation of a parked record, the `resolve` signal and
 * the `status` query, and the search attributes the Web UI filters on.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import { z } from 'zod';
import { makeModelOutputSchema, type DegradationTier, type ModelOutput, type RecordStatus, type ResultSource, type Step, type Tier } from './record';
import type { RetryOptions } from './retry';

/** Temporal search attributes kept current by the workflow so the Web UI can filter (DESIGN §3). */
export const recordStatusKey = defineSearchAttributeKey('RecordStatus', SearchAttributeType.KEYWORD);
export const recordStepKey = defineSearchAttributeKey('RecordStep', SearchAttributeType.KEYWORD);
export const recordAccountKey = defineSearchAttributeKey('RecordAccount', SearchAttributeType.KEYWORD);
export const RECORD_SEARCH_ATTRIBUTES = [recordStatusKey, recordStepKey, recordAccountKey];

export interface ProviderRoute {
  name: string;
  taskQueue: string;
  retry: RetryOptions;
}

/** Everything the workflow needs from configuration, fixed at start so replays stay deterministic. */
export interface PipelineOptions {
  /** `lifecycle`: the transitions the workflow decides on (park, resume, abandon), which must outlast any outage. */
  steps: Record<'charge' | 'persist' | 'lifecycle', RetryOptions>;
  providers: ProviderRoute[];
  confidenceThreshold: number;
  /** The tiers that serve a record the provider chain could not (DEGRADATION), in order. */
  degradation: DegradationTier[];
  /** OUTPUT_REUSE=always: an identical input's stored output is reused before any provider is called. */
  reuseOutputs: boolean;
}

export interface ProcessRecordInput {
  /** The record's global id. */
  id: string;
  account: string;
  pipeline: PipelineOptions;
}

// ---------- activities ----------

export interface ChargeInput {
  id: string;
}

export interface ChargeView {
  idempotencyKey: string;
  amountCents: number;
  currency: string;
  status: string;
  providerRef: string | null;
  /** False when an earlier attempt had already charged: the billing provider was not called. */
  created: boolean;
}

export interface InferInput {
  id: string;
  provider: string;
  /** A later provider exists in the chain, so an open circuit may skip this one. */
  canSkip: boolean;
}

export interface StoredOutput {
  idempotencyKey: string;
  provider: string;
  model: string;
  output: ModelOutput;
  confidence: number;
  tier: Tier;
  /** False when the output was already stored: no model was called. */
  created: boolean;
}

/** The tiers after (or, to reuse outputs, before) the provider chain; null when none could serve it. */
export interface DegradeInput {
  id: string;
  tiers: DegradationTier[];
}

/** An operator's decision that persist carries out: the stored output approved, or a correction of it. */
export type Decision =
  | { action: 'approve'; keyId: string | null }
  | { action: 'correct'; output: ModelOutput; keyId: string | null };

export interface PersistInput {
  id: string;
  decision?: Decision;
}

export interface PersistResult {
  completed: boolean;
}

export interface ParkInput {
  id: string;
  investigation: Concern;
  /** The attempts Temporal made, where the workflow knows them (a step that exhausted its policy); else the recorded ones stand. */
  attempts: number | null;
}

export interface ParkResult {
  attempts: number;
  status: RecordStatus;
}

export interface ResumeInput {
  id: string;
  step: Step;
  keyId?: string | null;
}

export interface AbandonInput {
  id: string;
  reason: string;
  keyId?: string | null;
}

export interface AbandonResult {
  refunded: boolean;
}

export interface RejectedSignalInput {
  id: string;
  status: RecordStatus;
  step: Step | null;
  payload: unknown;
  problem: string;
}

/** One pass of the reconciler (the `reconcile-records` Schedule's workflow, DESIGN G4). */
export interface ReconcileInput {
  /** How long a row must be quiet before it is suspect. */
  quietForMs: number;
  limit: number;
}

export interface ReconcileResult {
  checked: number;
  started: string[];
  parked: string[];
}

export interface ReconcileActivities {
  reconcile(input: ReconcileInput): Promise<ReconcileResult>;
}

// ---------- investigation and status ----------

/**
 * Why a record is parked: a step exhausted its retries or failed for good, the model was unsure, or
 * (set by the reconciler) its workflow was closed from outside.
 */
export const INVESTIGATION_REASONS = ['exhausted', 'non_retryable', 'low_confidence', 'workflow_closed'] as const;
export type InvestigationReason = (typeof INVESTIGATION_REASONS)[number];

export interface Investigation {
  step: Step;
  reason: InvestigationReason;
  lastError: string | null;
  /** The ApplicationFailure type at the end of the failure chain (FailureType), or null when no activity failed. */
  failureType: string | null;
  attempts: number;
}

/** An investigation as the workflow raises it, before the park transition counts the attempts. */
export type Concern = Omit<Investigation, 'attempts'>;

export interface RecordStatusView {
  id: string;
  status: RecordStatus;
  step: Step | null;
  attempts: number;
  lastError: string | null;
  investigation: Investigation | null;
}

// ---------- messages ----------

/**
 * The `resolve` payload (DESIGN §3), made fresh per call as makeModelOutputSchema is, because the
 * workflow validates it: lint keeps workflow code to the factories.
 */
export const makeResolveSchema = () =>
  z.discriminatedUnion('action', [
    z.strictObject({ action: z.literal('retry') }),
    z.strictObject({ action: z.literal('abandon'), reason: z.string().min(1).max(1000) }),
    z.strictObject({ action: z.literal('approve') }),
    z.strictObject({ action: z.literal('correct'), output: makeModelOutputSchema() }),
  ]);
export type ResolveAction = z.infer<ReturnType<typeof makeResolveSchema>>;

/** Who resolves: the API key of the operator (null from the Temporal CLI, which has none). */
export interface ResolveContext {
  keyId: string | null;
}

/** Raw payload: the workflow validates it with makeResolveSchema and records what it rejects. */
export const resolveSignal = defineSignal<[unknown]>('resolve');
/**
 * The same actions as an Update: its validator gives the caller the workflow's own accept or
 * refuse at once (nothing is written for a refused one), and the accepted Update returns the view.
 */
export const resolveUpdate = defineUpdate<RecordStatusView, [unknown, ResolveContext | undefined]>('resolve');
export const statusQuery = defineQuery<RecordStatusView>('status');

/** The result as the API shows it: its source and the tier the record was served at. */
export interface ResultView {
  source: ResultSource;
  tier: Tier;
  output: ModelOutput;
}
