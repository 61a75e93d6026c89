/**
 * The one fault a provider endpoint serves on one request, sent as the `x-simulate-fault` header by
 * the provider-client decorator and read by the provider simulator (dev/simulator.ts).
 */
import { z } from 'zod';
import { providerFaultSchema } from '../contract';

// The contract's provider fault minus its routing fields (provider, times): what one request serves.
const contractProviderFault = providerFaultSchema.shape;

export const simulatedFaultSchema = z
  .strictObject({
    status: contractProviderFault.status,
    kind: contractProviderFault.kind,
    delayMs: contractProviderFault.delayMs,
    retryAfterSeconds: z.number().int().min(0).max(3600).optional(),
  })
  .refine((f) => (f.status === undefined) !== (f.kind === undefined), {
    message: 'a fault has either a status or a kind',
  });
export type SimulatedFault = z.infer<typeof simulatedFaultSchema>;
export const SIMULATE_FAULT_HEADER = 'x-simulate-fault';
/** Temporal's attempt number, sent so the endpoint's log lines up with the workflow history. */
export const ATTEMPT_HEADER = 'x-attempt';

/** The header that asks the endpoint for `fault`: its wire fields only, so a plan's routing fields (provider, times) stay out. */
export function faultHeader({ status, kind, delayMs, retryAfterSeconds }: SimulatedFault): Record<string, string> {
  return { [SIMULATE_FAULT_HEADER]: JSON.stringify({ status, kind, delayMs, retryAfterSeconds }) };
}
