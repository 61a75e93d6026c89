/**
 * The API's answers as the CLI relies on them. Loose objects: fields the API adds later pass
 * through to `--json` untouched, while a missing field the CLI needs fails with a clear message
 * instead of printing `undefined`.
 */
import { z } from 'zod';

const timestamp = z.string();

const recordSummarySchema = z.looseObject({
  id: z.string(),
  status: z.string(),
  step: z.string().nullable(),
  attempts: z.number(),
  lastError: z.string().nullable(),
  updatedAt: timestamp,
});

export const recordListSchema = z.looseObject({ records: z.array(recordSummarySchema) });
export type RecordList = z.infer<typeof recordListSchema>;

const chargeSchema = z.looseObject({
  idempotencyKey: z.string(),
  amountCents: z.number(),
  currency: z.string(),
  status: z.string(),
});

const resultSchema = z.looseObject({
  provider: z.string(),
  model: z.string(),
  confidence: z.number(),
});

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
  calls: z.array(modelCallSchema),
  totalCostMicros: z.number(),
  events: z.array(eventSchema),
});
export type RecordDetail = z.infer<typeof recordDetailSchema>;

export const resolveAcceptedSchema = z.looseObject({ id: z.string(), workflowId: z.string(), action: z.string() });
export type ResolveAccepted = z.infer<typeof resolveAcceptedSchema>;

export const apiErrorBodySchema = z.looseObject({ error: z.string(), message: z.string() });
