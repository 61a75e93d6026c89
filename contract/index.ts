/**
 * The one module that the API, the workflow and the activities share: statuses, ids, signal and
 * query definitions, and the zod schemas of every boundary. It must stay deterministic because
 * the workflow bundle imports it (zod is pure JavaScript and safe there).
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import { defineQuery, defineSignal } from '@temporalio/workflow';
import { z } from 'zod';
import type { RetryOptions } from './retry';

export { activityOptionsFrom, type RetryOptions } from './retry';

export const RECORD_STATUSES = ['received', 'processing', 'completed', 'needs_investigation', 'failed'] as const;
export type RecordStatus = (typeof RECORD_STATUSES)[number];
export const TERMINAL_STATUSES: readonly RecordStatus[] = ['completed', 'failed'];

export const STEPS = ['charge', 'inference', 'persist'] as const;
export type Step = (typeof STEPS)[number];

export const SOURCES = ['api', 'upload', 'mllp'] as const;
export type Source = (typeof SOURCES)[number];

export const DEFAULT_TASK_QUEUE = 'records';
export const workflowIdFor = (id: string): string => `record-${id}`;
export const idempotencyKey = {
  charge: (id: string) => `charge-${id}`,
  inference: (id: string) => `infer-${id}`,
  persist: (id: string) => `persist-${id}`,
  refund: (id: string) => `refund-${id}`,
};
export const providerTaskQueue = (provider: string): string => `provider-${provider}`;

/** Temporal search attributes kept current by the workflow so the Web UI can filter (DESIGN §3). */
export const recordStatusKey = defineSearchAttributeKey('RecordStatus', SearchAttributeType.KEYWORD);
export const recordStepKey = defineSearchAttributeKey('RecordStep', SearchAttributeType.KEYWORD);

/** ApplicationFailure types: the failure chain in Temporal's history says which class of error it was. */
export const FailureType = {
  InjectedFault: 'InjectedFault',
  InvalidInput: 'InvalidInput',
  RecordNotFound: 'RecordNotFound',
  ProviderRetryable: 'ProviderRetryable',
  ProviderRejected: 'ProviderRejected',
  ProviderMalformed: 'ProviderMalformed',
  CircuitOpen: 'CircuitOpen',
  BillingFailed: 'BillingFailed',
} as const;

export const recordIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._:-]+$/, 'id may contain only A-Z a-z 0-9 . _ : -');

export const recordInputSchema = z.strictObject({
  text: z.string().min(1).max(100_000),
  metadata: z.record(z.string(), z.string()).optional(),
});
export type RecordInput = z.infer<typeof recordInputSchema>;

const stepFaultSchema = z.strictObject({
  step: z.enum(STEPS),
  when: z.enum(['before', 'after']),
  kind: z.enum(['error', 'timeout', 'crash']).default('error'),
  times: z.number().int().min(1).max(100),
});
export const providerFaultSchema = z.strictObject({
  provider: z.string().min(1).max(64),
  status: z.number().int().min(400).max(599).optional(),
  kind: z.enum(['timeout', 'malformed', 'slow']).optional(),
  delayMs: z.number().int().min(0).max(600_000).optional(),
  retryAfterSeconds: z.number().int().min(0).max(3600).optional(),
  times: z.number().int().min(1).max(100),
}).refine((f) => (f.status === undefined) !== (f.kind === undefined), {
  message: 'a provider fault has either a status or a kind',
});
export const faultSchema = z.union([stepFaultSchema, providerFaultSchema]);
export const faultPlanSchema = z.strictObject({ faults: z.array(faultSchema).max(20) });
export type StepFault = z.infer<typeof stepFaultSchema>;
export type ProviderFault = z.infer<typeof providerFaultSchema>;
export type FaultPlan = z.infer<typeof faultPlanSchema>;

export function stepFaultsOf(plan: FaultPlan | undefined, step: Step): StepFault[] {
  return (plan?.faults ?? []).filter((f): f is StepFault => 'step' in f && f.step === step);
}

export function providerFaultsOf(plan: FaultPlan | undefined, provider: string): ProviderFault[] {
  return (plan?.faults ?? []).filter((f): f is ProviderFault => 'provider' in f && f.provider === provider);
}

export const createRecordBodySchema = z.strictObject({
  id: recordIdSchema,
  input: recordInputSchema,
  simulate: faultPlanSchema.optional(),
});
export type CreateRecordBody = z.infer<typeof createRecordBodySchema>;

/**
 * A fresh schema per call, for the workflow: there the contract is preloaded once and frozen
 * (workers/bundle.ts), and zod defines a schema's methods on first use, which a frozen one refuses.
 */
export const makeResolveSchema = () =>
  z.discriminatedUnion('action', [
    z.strictObject({ action: z.literal('retry') }),
    z.strictObject({ action: z.literal('abandon'), reason: z.string().min(1).max(1000) }),
  ]);
export const resolveSchema = makeResolveSchema();
export type ResolveAction = z.infer<typeof resolveSchema>;

/** What a model must answer; anything else is a malformed answer. */
export const modelOutputSchema = z.strictObject({
  summary: z.string().min(1),
  labels: z.array(z.string()),
  confidence: z.number().min(0).max(1),
});
export type ModelOutput = z.infer<typeof modelOutputSchema>;

export interface ProviderRoute {
  name: string;
  taskQueue: string;
  retry: RetryOptions;
}

/** Everything the workflow needs from configuration, fixed at start so replays stay deterministic. */
export interface PipelineOptions {
  steps: Record<'charge' | 'persist' | 'bookkeeping', RetryOptions>;
  providers: ProviderRoute[];
  confidenceThreshold: number;
}

export interface ProcessRecordInput {
  id: string;
  faults?: FaultPlan;
  pipeline: PipelineOptions;
}

export interface Investigation {
  step: Step;
  reason: 'exhausted' | 'non_retryable' | 'low_confidence';
  lastError: string | null;
  attempts: number;
}

export interface RecordStatusView {
  id: string;
  status: RecordStatus;
  step: Step | null;
  attempts: number;
  lastError: string | null;
  investigation: Investigation | null;
}

/** Raw payload: the workflow validates it with makeResolveSchema and records what it rejects. */
export const resolveSignal = defineSignal<[unknown]>('resolve');
export const statusQuery = defineQuery<RecordStatusView>('status');
