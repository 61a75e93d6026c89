/**
 * The API's answers as the CLI relies on them. Loose objects: fields the API adds later pass
 * through to `--json` untouched, while a missing field the CLI needs fails with a clear message
 * instead of printing `undefined`.
 */
import { z } from 'zod';

const timestamp = z.string();

const recordSummarySchema = z.looseObject({
  id: z.string(),
  account: z.string(),
  status: z.string(),
  step: z.string().nullable(),
  attempts: z.number(),
  lastError: z.string().nullable(),
  reason: z.string().nullable(),
  updatedAt: timestamp,
});
export type RecordSummary = z.infer<typeof recordSummarySchema>;

export const recordListSchema = z.looseObject({ records: z.array(recordSummarySchema), nextCursor: z.string().nullable() });
export type RecordList = z.infer<typeof recordListSchema>;

const chargeSchema = z.looseObject({
  idempotencyKey: z.string(),
  amountCents: z.number(),
  currency: z.string(),
  status: z.string(),
});

const resultSchema = z.looseObject({ source: z.string(), tier: z.string(), confidence: z.number() });
const modelOutputSchema = z.looseObject({ provider: z.string(), model: z.string(), confidence: z.number() });

const modelCallSchema = z.looseObject({
  provider: z.string(),
  model: z.string(),
  attempt: z.number(),
  outcome: z.string(),
  httpStatus: z.number().nullable(),
  latencyMs: z.number(),
  costMicros: z.number(),
  error: z.string().nullable(),
});

const eventSchema = z.looseObject({
  fromStatus: z.string().nullable(),
  toStatus: z.string(),
  step: z.string().nullable(),
  actor: z.string(),
  detail: z.record(z.string(), z.unknown()).nullable(),
  createdAt: timestamp,
});
export type RecordEventView = z.infer<typeof eventSchema>;

export const recordDetailSchema = recordSummarySchema.extend({
  workflowId: z.string(),
  workflowUrl: z.string(),
  charge: chargeSchema.nullable(),
  result: resultSchema.nullable(),
  modelOutput: modelOutputSchema.nullable(),
  calls: z.array(modelCallSchema),
  costMicros: z.number(),
  events: z.array(eventSchema),
});
export type RecordDetail = z.infer<typeof recordDetailSchema>;

export const resolvedSchema = z.looseObject({ id: z.string(), account: z.string(), workflowId: z.string(), status: z.string(), step: z.string().nullable() });
export type Resolved = z.infer<typeof resolvedSchema>;

export const accountSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  priceCents: z.number().nullable(),
  currency: z.string(),
  budgetCents: z.number().nullable(),
  stripeCustomerId: z.string().nullable(),
  month: z.string(),
  reservedCents: z.number(),
  remainingCents: z.number().nullable(),
});
export type AccountView = z.infer<typeof accountSchema>;
export const accountListSchema = z.looseObject({ accounts: z.array(accountSchema) });
export type AccountList = z.infer<typeof accountListSchema>;

export const keyCreatedSchema = z.looseObject({ id: z.string(), account: z.string(), role: z.string(), key: z.string() });
export type KeyCreated = z.infer<typeof keyCreatedSchema>;
export const keyRevokedSchema = z.looseObject({ id: z.string(), account: z.string(), revokedAt: z.string() });
export type KeyRevoked = z.infer<typeof keyRevokedSchema>;

export const usageSchema = z.looseObject({
  from: timestamp,
  to: timestamp,
  accounts: z.array(
    z.looseObject({
      account: z.string(),
      currency: z.string(),
      records: z.record(z.string(), z.number()),
      chargedCents: z.number(),
      refundedCents: z.number(),
      modelCalls: z.array(z.looseObject({ provider: z.string(), calls: z.number(), costMicros: z.number() })),
      modelCostMicros: z.number(),
      marginMicros: z.number(),
      budget: z.looseObject({ budgetCents: z.number().nullable(), reservedCents: z.number(), remainingCents: z.number().nullable() }),
    }),
  ),
});
export type Usage = z.infer<typeof usageSchema>;

/** An error answer: problem+json (RFC 9457); its type ends in the problem's code. */
export const problemSchema = z.looseObject({ type: z.string(), title: z.string(), detail: z.string() });
