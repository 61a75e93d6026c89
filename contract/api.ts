/** The bodies the HTTP API (and each upload line) accepts (DESIGN §6). */
import { z } from 'zod';
import { faultPlanSchema } from './faults';
import { accountIdSchema, recordIdSchema, recordInputSchema } from './record';

/** The body of `POST /v1/records`, and of each line of an upload (DESIGN §6). */
export const createRecordBodySchema = z.strictObject({
  id: recordIdSchema,
  input: recordInputSchema,
  simulate: faultPlanSchema.optional(),
});
export type CreateRecordBody = z.infer<typeof createRecordBodySchema>;

/** What an API key may do (DESIGN §11); each role may do what the ones before it may. */
export const API_ROLES = ['submit', 'operate', 'admin'] as const;
export type ApiRole = (typeof API_ROLES)[number];

const currencySchema = z.string().regex(/^[a-z]{3}$/, 'currency is three lower-case letters (ISO 4217)');
const cents = z.number().int().min(0).max(2_000_000_000);
const stripeCustomerIdSchema = z.string().min(1).max(255);

/** The body of `POST /v1/accounts`. */
export const createAccountBodySchema = z.strictObject({
  id: accountIdSchema,
  name: z.string().min(1).max(200),
  priceCents: cents.optional(),
  currency: currencySchema.optional(),
  budgetCents: cents.nullable().optional(),
  stripeCustomerId: stripeCustomerIdSchema.nullable().optional(),
});
export type CreateAccountBody = z.infer<typeof createAccountBodySchema>;

/** The body of `PATCH /v1/accounts/:account`: what it names changes; null clears a price, budget or customer. */
export const patchAccountBodySchema = z
  .strictObject({
    name: z.string().min(1).max(200).optional(),
    priceCents: cents.nullable().optional(),
    currency: currencySchema.optional(),
    budgetCents: cents.nullable().optional(),
    stripeCustomerId: stripeCustomerIdSchema.nullable().optional(),
  })
  .refine((patch) => Object.keys(patch).length > 0, 'name at least one field to change');
export type PatchAccountBody = z.infer<typeof patchAccountBodySchema>;

/** The body of `POST /v1/accounts/:account/keys`. */
export const createKeyBodySchema = z.strictObject({ role: z.enum(API_ROLES) });
