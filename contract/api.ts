/** The bodies the HTTP API (and each upload line) accepts (DESIGN §6). */
import { z } from 'zod';
import { faultPlanSchema } from './faults';
import { recordIdSchema, recordInputSchema } from './record';

/** The body of `POST /v1/records`, and of each line of an upload (DESIGN §6). */
export const createRecordBodySchema = z.strictObject({
  id: recordIdSchema,
  input: recordInputSchema,
  simulate: faultPlanSchema.optional(),
});
export type CreateRecordBody = z.infer<typeof createRecordBodySchema>;
