/**
 * Fault plans (DESIGN §8): the schema every entry point validates `simulate` with, and which of a
 * plan's faults concern a step or a provider. Carried out by the fault-injection layer (faults/).
 */
import { z } from 'zod';
import { STEPS, type Step } from './record';

const stepFaultSchema = z.strictObject({
  step: z.enum(STEPS),
  when: z.enum(['before', 'after']),
  kind: z.enum(['error', 'timeout', 'crash']).default('error'),
  times: z.number().int().min(1).max(100),
});
export const providerFaultSchema = z.strictObject({
  provider: z.string().min(1).max(64),
  status: z.number().int().min(400).max(599).optional(),
  kind: z.enum(['timeout', 'malformed', 'slow', 'almost_json', 'low_confidence']).optional(),
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

/** A fault fires on attempts 1..times of its step: Temporal's own attempt number, so no hidden state. */
export function firstDue<F extends { times: number }>(faults: readonly F[], attempt: number): F | undefined {
  return faults.find((f) => attempt <= f.times);
}
