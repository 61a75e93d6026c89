/**
 * The zod schemas of the API's queries and answers: the routes parse queries with them and
 * /openapi.json describes every route from them (the bodies' schemas are the contract's).
 */
import { z } from 'zod';
import { accountIdSchema, API_ROLES, modelOutputSchema, RECORD_STATUSES, recordInputSchema, RESULT_SOURCES, STEPS, TIERS } from '../contract';
import { PROBLEM_TYPE_BASE } from './problem';

const timestamp = z.iso.datetime();
const nullableText = z.string().nullable();

export const listQuerySchema = z.strictObject({
  status: z.enum(RECORD_STATUSES).optional(),
  /** Why a record is parked or failed: exhausted, non_retryable, low_confidence, workflow_closed, or an abandon reason. */
  reason: z.string().min(1).max(1000).optional(),
  /** The step a record is at (or was parked at). */
  step: z.enum(STEPS).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  /** `nextCursor` of the previous page. */
  cursor: z.string().min(1).max(200).optional(),
  /** Admin keys only: one account's records (every account's without it). */
  account: accountIdSchema.optional(),
});

const day = z.union([z.iso.date(), z.iso.datetime({ offset: true })]);
export const usageQuerySchema = z.strictObject({
  /** Inclusive; a date is its first instant in UTC. Default: the first day of this month (UTC). */
  from: day.optional(),
  /** Exclusive; a date is its first instant in UTC. Default: now. */
  to: day.optional(),
  account: accountIdSchema.optional(),
});

export const problemSchema = z.object({
  type: z.string().startsWith(PROBLEM_TYPE_BASE),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  requestId: z.string(),
  issues: z.array(z.object({ code: z.string(), path: z.array(z.union([z.string(), z.number()])), message: z.string() })).optional(),
  budgetCents: z.number().int().optional(),
  remainingCents: z.number().int().optional(),
  priceCents: z.number().int().optional(),
});

/** The review queue's filters (DESIGN §12): one account's parked records for an admin key, the key's own otherwise. */
export const reviewSummaryQuerySchema = z.strictObject({ account: accountIdSchema.optional() });

export const reviewSummarySchema = z.object({
  /** Records in scope waiting for an operator (status needs_investigation). */
  parked: z.number().int(),
  /** How many of them are parked for each reason at each step, largest group first. */
  groups: z.array(z.object({ reason: nullableText, step: nullableText, count: z.number().int() })),
});

export const ingestAnswerSchema = z.object({
  id: z.string(),
  workflowId: z.string(),
  status: z.enum(RECORD_STATUSES),
  duplicate: z.boolean(),
});

const recordSummarySchema = z.object({
  id: z.string(),
  account: z.string(),
  source: z.string(),
  status: z.enum(RECORD_STATUSES),
  step: nullableText,
  attempts: z.number().int(),
  lastError: nullableText,
  reason: nullableText,
  createdAt: timestamp,
  updatedAt: timestamp,
  workflowId: z.string(),
  workflowUrl: z.string(),
});

export const recordListSchema = z.object({ records: z.array(recordSummarySchema), nextCursor: nullableText });

export const recordDetailSchema = recordSummarySchema.extend({
  input: recordInputSchema,
  charge: z
    .object({
      idempotencyKey: z.string(),
      amountCents: z.number().int(),
      currency: z.string(),
      status: z.enum(['pending', 'charged', 'refunded']),
      billedVia: z.string(),
      providerRef: nullableText,
      createdAt: timestamp,
      chargedAt: timestamp.nullable(),
      refundedAt: timestamp.nullable(),
    })
    .nullable(),
  /** The one authoritative result, with who produced it and the tier it was served at. */
  result: z
    .object({ source: z.enum(RESULT_SOURCES), tier: z.enum(TIERS), output: modelOutputSchema, confidence: z.number(), actorKeyId: nullableText })
    .nullable(),
  /** What the model (or a degradation tier) answered, kept for review even when it is not the result. */
  modelOutput: z.object({ provider: z.string(), model: z.string(), tier: z.enum(TIERS), output: modelOutputSchema, confidence: z.number() }).nullable(),
  calls: z.array(
    z.object({
      id: z.string(),
      provider: z.string(),
      model: z.string(),
      attempt: z.number().int(),
      outcome: z.string(),
      httpStatus: z.number().int().nullable(),
      latencyMs: z.number().int(),
      tokensIn: z.number().int().nullable(),
      tokensOut: z.number().int().nullable(),
      costMicros: z.number().int(),
      repaired: z.boolean(),
      error: nullableText,
      createdAt: timestamp,
    }),
  ),
  /** The model calls' cost, in millionths of the providers' price currency. */
  costMicros: z.number().int(),
  events: z.array(
    z.object({
      id: z.string(),
      fromStatus: nullableText,
      toStatus: z.string(),
      step: nullableText,
      actor: z.string(),
      detail: z.record(z.string(), z.unknown()).nullable(),
      createdAt: timestamp,
    }),
  ),
});

/**
 * The headers POST /v1/records/:id/resolve reads. An `Idempotency-Key` makes a resend of the same
 * action (after a 503, or a connection lost before the answer) hear the outcome of the first
 * instead of a 409 from a record the first has already moved on.
 */
export const resolveHeadersSchema = z.object({
  'Idempotency-Key': z
    .string()
    .regex(/^[\x21-\x7e]{1,255}$/, 'must be 1–255 visible ASCII characters, no spaces')
    .optional()
    .describe(
      '1–255 visible ASCII characters, no spaces, of your own choosing: the same on every resend of one decision, a new one for each decision. A resend with the same key and action answers as the first did and does nothing more.',
    ),
});

export const resolvedSchema = z.object({
  id: z.string(),
  account: z.string(),
  workflowId: z.string(),
  status: z.enum(RECORD_STATUSES),
  step: nullableText,
  attempts: z.number().int(),
  lastError: nullableText,
  investigation: z.record(z.string(), z.unknown()).nullable(),
});

export const uploadReportSchema = z.object({
  lines: z.number().int(),
  counts: z.record(z.string(), z.number().int()),
  outcomes: z.array(z.object({ line: z.number().int(), id: z.string().optional(), outcome: z.string(), reason: z.string().optional() })),
});

export const accountSchema = z.object({
  id: z.string(),
  name: z.string(),
  /** null: the deployment's PRICE_CENTS. */
  priceCents: z.number().int().nullable(),
  currency: z.string(),
  budgetCents: z.number().int().nullable(),
  stripeCustomerId: nullableText,
  /** This UTC month: what ingest reserved against the budget, and what is left of it (null: no budget). */
  month: z.iso.date(),
  reservedCents: z.number().int(),
  remainingCents: z.number().int().nullable(),
  createdAt: timestamp,
  updatedAt: timestamp,
});
export const accountListSchema = z.object({ accounts: z.array(accountSchema) });

export const keyCreatedSchema = z.object({
  id: z.string(),
  account: z.string(),
  role: z.enum(API_ROLES),
  /** The key itself: shown this once, stored only as its hash. */
  key: z.string(),
  createdAt: timestamp,
});
export const keyRevokedSchema = z.object({ id: z.string(), account: z.string(), role: z.enum(API_ROLES), revokedAt: timestamp });

export const usageSchema = z.object({
  from: timestamp,
  to: timestamp,
  accounts: z.array(
    z.object({
      account: z.string(),
      name: z.string(),
      currency: z.string(),
      /** Records received in the period, by their status now. */
      records: z.record(z.string(), z.number().int()),
      /** Charges made in the period, by their status now, in cents of the account's currency. */
      chargedCents: z.number().int(),
      refundedCents: z.number().int(),
      pendingCents: z.number().int(),
      modelCalls: z.array(z.object({ provider: z.string(), calls: z.number().int(), tokensIn: z.number().int(), tokensOut: z.number().int(), costMicros: z.number().int() })),
      /** Millionths of the providers' price currency. */
      modelCostMicros: z.number().int(),
      /** chargedCents − modelCostMicros, in millionths of the currency (the providers' prices taken to be in the account's currency). */
      marginMicros: z.number().int(),
      budget: z.object({ month: z.iso.date(), budgetCents: z.number().int().nullable(), reservedCents: z.number().int(), remainingCents: z.number().int().nullable() }),
    }),
  ),
});
