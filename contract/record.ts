/** A record as every entry point and the pipeline see it: statuses, steps, sources, and what a model answers. */
import { z } from 'zod';

export const RECORD_STATUSES = ['received', 'processing', 'completed', 'needs_investigation', 'failed'] as const;
export type RecordStatus = (typeof RECORD_STATUSES)[number];
export const TERMINAL_STATUSES: readonly RecordStatus[] = ['completed', 'failed'];

export const STEPS = ['charge', 'inference', 'persist'] as const;
export type Step = (typeof STEPS)[number];

export const SOURCES = ['api', 'upload', 'mllp'] as const;
export type Source = (typeof SOURCES)[number];

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

/** What a model must answer; anything else is a malformed answer. */
export const modelOutputSchema = z.strictObject({
  summary: z.string().min(1),
  labels: z.array(z.string()),
  confidence: z.number().min(0).max(1),
});
export type ModelOutput = z.infer<typeof modelOutputSchema>;
