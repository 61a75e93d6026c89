/** A record as every entry point and the pipeline see it: statuses, steps, sources, and what a model answers. */
import { z } from 'zod';

export const RECORD_STATUSES = ['received', 'processing', 'completed', 'needs_investigation', 'failed'] as const;
export type RecordStatus = (typeof RECORD_STATUSES)[number];
export const TERMINAL_STATUSES: readonly RecordStatus[] = ['completed', 'failed'];

export const STEPS = ['charge', 'inference', 'persist'] as const;
export type Step = (typeof STEPS)[number];

export const SOURCES = ['api', 'upload', 'mllp'] as const;
export type Source = (typeof SOURCES)[number];

export const accountIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9-]+$/, 'account id may contain only a-z 0-9 -');

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

/**
 * What a model must answer, and what an operator's correction must be; anything else is malformed.
 * A factory, because the workflow validates corrections with it: the workflow bundle preloads the
 * contract once and freezes it (workers/bundle.ts), and zod defines a schema's methods on first
 * use, which a frozen schema refuses. Outside workflows, `modelOutputSchema` is the same schema.
 */
export const makeModelOutputSchema = () =>
  z.strictObject({
    summary: z.string().min(1),
    labels: z.array(z.string()),
    confidence: z.number().min(0).max(1),
  });
export const modelOutputSchema = makeModelOutputSchema();
export type ModelOutput = z.infer<typeof modelOutputSchema>;

/** Who produced a record's one result, and the tier it was served at (DESIGN §5, §13). */
export const RESULT_SOURCES = ['model', 'operator', 'cache', 'rules'] as const;
export type ResultSource = (typeof RESULT_SOURCES)[number];
export const TIERS = ['model', 'cache', 'rules'] as const;
export type Tier = (typeof TIERS)[number];
/** The tiers that may serve a record after the provider chain, in the order DEGRADATION gives. */
export type DegradationTier = Exclude<Tier, 'model'>;
