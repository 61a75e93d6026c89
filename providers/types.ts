import { z } from 'zod';

/** Aliases move to a new model silently; a pinned version keeps stored outputs reproducible. */
const PINNED_MODEL = /(\d{8}|\d{4}-\d{2}-\d{2}|-v\d+(\.\d+)*|-\d{3,})$/;
const ALIAS_MODEL = /(^|[-:@])latest$/i;

export const providerConfigSchema = z.strictObject({
  name: z.string().min(1).max(64).regex(/^[a-z0-9-]+$/, 'name may contain only a-z 0-9 -'),
  kind: z.enum(['openai', 'anthropic']),
  baseURL: z.url({ protocol: /^https?$/ }),
  model: z
    .string()
    .min(1)
    .refine((m) => !ALIAS_MODEL.test(m) && PINNED_MODEL.test(m), {
      message: 'model must be a pinned version (e.g. gpt-4o-2024-08-06, claude-sonnet-4-20250514), not an alias',
    }),
  apiKeyEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'apiKeyEnv must be an environment variable name'),
  timeoutMs: z.number().int().min(1).default(30_000),
  /** What the provider bills per million input and output tokens (so a call costs tokens × price micros). */
  inputPricePerMTok: z.number().min(0).default(0),
  outputPricePerMTok: z.number().min(0).default(0),
  maxConcurrent: z.number().int().min(1).default(10),
  ratePerSecond: z.number().positive().optional(),
  maxAttempts: z.number().int().min(1).default(5),
  malformedAttempts: z.number().int().min(1).default(2),
  /** The provider or model is on its way out: reported by /health/inference and logged at start (DESIGN §13). */
  deprecated: z.boolean().default(false),
  /** What to move to: another provider's name or a model version. */
  replacement: z.string().min(1).max(200).optional(),
  /** The day the provider stops serving; from the next day on the config is refused. */
  sunset: z.iso.date().optional(),
}).refine((p) => p.deprecated || (p.replacement === undefined && p.sunset === undefined), {
  message: 'replacement and sunset describe a deprecated provider: set deprecated: true',
});
export type ProviderConfig = z.infer<typeof providerConfigSchema>;
export type ProviderConfigInput = z.input<typeof providerConfigSchema>;

export interface CompletionRequest {
  text: string;
  /** Extra HTTP headers for this one request: a layer that decorates the client adds its own. */
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

export interface Completion {
  content: string;
  httpStatus: number;
  tokensIn: number | null;
  tokensOut: number | null;
  requestId: string | null;
}

export interface ProviderClient {
  /** Rejects only with an ApplicationFailure from classifyProviderError. */
  complete(req: CompletionRequest): Promise<Completion>;
}

export const SYSTEM_PROMPT =
  'Summarise and label the user text. Answer with only a JSON object, no prose and no code fence: ' +
  '{"summary": string, "labels": string[], "confidence": number between 0 and 1}.';
