/** Where ingest meets a fault plan: refused unless FAULT_INJECTION is enabled, else carried in the workflow's memo. */
import type { z } from 'zod';
import type { IngestExtension } from '../ingest';
import { memoFor } from './transport';

export function faultPlanIngest(enabled: boolean): IngestExtension {
  return {
    refuse({ simulate }) {
      if (!simulate || enabled) return [];
      const issue: z.core.$ZodIssue = { code: 'custom', path: ['simulate'], message: 'fault injection is disabled (FAULT_INJECTION=enabled turns it on)', input: simulate };
      return [issue];
    },
    memo: ({ simulate }) => (enabled ? memoFor(simulate) : undefined),
  };
}
