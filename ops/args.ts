/**
 * The command line, parsed by node's parseArgs and then validated per command with zod, so every
 * mistake ends in one readable message and the usage text instead of a half-run operation.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { accountIdSchema, API_ROLES, createAccountBodySchema, makeResolveSchema, patchAccountBodySchema, RECORD_STATUSES, recordIdSchema, type CreateAccountBody, type PatchAccountBody } from '../contract';
import type { ListQuery, UsageQuery } from './api';

type Json = { json: boolean };
export type Command =
  | { name: 'help' }
  | ({ name: 'list'; query: ListQuery } & Json)
  | ({ name: 'show' | 'retry' | 'approve'; ref: string } & Json)
  | ({ name: 'retry-all' } & Json)
  | ({ name: 'abandon'; ref: string; reason: string } & Json)
  | ({ name: 'correct'; ref: string; outputFile: string } & Json)
  | ({ name: 'accounts list' } & Json)
  | ({ name: 'accounts show'; id: string } & Json)
  | ({ name: 'accounts create'; body: CreateAccountBody } & Json)
  | ({ name: 'accounts update'; id: string; patch: PatchAccountBody } & Json)
  | ({ name: 'keys create'; account: string; role: string } & Json)
  | ({ name: 'keys revoke'; keyId: string } & Json)
  | ({ name: 'usage'; query: UsageQuery } & Json);

export const USAGE = `usage: npm run ops -- <command> [options]

records (<id> is the record's id in the key's account; an admin key may name <account>/<id>):
  list [--status <s>] [--reason <r>] [--limit <n>] [--account <a>]
                                   records, newest first (limit 1-1000, default 100)
  show <id>                        state, why it is parked, charge, result, model calls, events
  retry <id>                       re-run the failed step of a parked record
  retry --all-investigating        retry every parked record; low-confidence ones are skipped
                                   (approve or correct them)
  abandon <id> --reason "<text>"   refund the charge and close the record as failed
  approve <id>                     let a low-confidence model output stand as the result
  correct <id> --output <file>     make the JSON in <file> ({summary, labels, confidence}) the result

accounts and keys (admin keys):
  accounts list
  accounts show <account>
  accounts create <account> --name <name> [--price-cents <n>] [--currency <c>]
                  [--budget-cents <n>] [--stripe-customer <id>]
  accounts update <account> [--name <name>] [--price-cents <n>|default] [--currency <c>]
                  [--budget-cents <n>|none] [--stripe-customer <id>|none]
  keys create <account> --role submit|operate|admin   the key is printed this once
  keys revoke <key id>

  usage [--from <date>] [--to <date>] [--account <a>]
                                   records, charges, model cost, budget and margin per account
                                   (default: this month so far, UTC)

options:
  --json       print one JSON document on stdout, for scripts
  -h, --help   print this text

statuses: ${RECORD_STATUSES.join(', ')}
environment: DI_API_URL (default http://localhost:$PORT, PORT 3000)
             DI_API_KEY (default the first of API_KEYS, or dev-key outside production)
exit codes: 0 done, 1 the operation failed, 2 usage error`;

export class UsageError extends Error {
  override name = 'UsageError';
}

const OPTIONS = {
  status: { type: 'string' },
  reason: { type: 'string' },
  limit: { type: 'string' },
  account: { type: 'string' },
  output: { type: 'string' },
  name: { type: 'string' },
  'price-cents': { type: 'string' },
  currency: { type: 'string' },
  'budget-cents': { type: 'string' },
  'stripe-customer': { type: 'string' },
  role: { type: 'string' },
  from: { type: 'string' },
  to: { type: 'string' },
  json: { type: 'boolean' },
  'all-investigating': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const json = z.boolean().default(false);
const LIMIT_RANGE = 'must be from 1 to 1000';
const abandonReason = makeResolveSchema().options[1].shape.reason;

/** A record id, or `<account>/<id>`. */
const recordRef = z.string().superRefine((ref, ctx) => {
  const slash = ref.indexOf('/');
  const parts = slash === -1 ? [recordIdSchema.safeParse(ref)] : [accountIdSchema.safeParse(ref.slice(0, slash)), recordIdSchema.safeParse(ref.slice(slash + 1))];
  for (const part of parts) if (!part.success) ctx.addIssue({ code: 'custom', message: part.error.issues[0]?.message ?? 'is not a record id' });
});
const oneRef = z.tuple([recordRef], { error: 'expects one record <id>' });
const oneAccount = z.tuple([accountIdSchema], { error: 'expects one <account>' });
const cents = z.coerce.number({ error: 'must be a number' }).int('must be a whole number of cents').min(0, 'must not be negative');
/** A number, or the word that clears the setting. */
const centsOr = (clear: string) => z.union([z.literal(clear).transform(() => null), cents], { error: `must be a number of cents or "${clear}"` });
const date = z.union([z.iso.date(), z.iso.datetime({ offset: true })], { error: 'must be a date (YYYY-MM-DD) or an ISO date-time' });

/** Zod issues of a body schema, said as the options that carry them. */
function bodyOf<T>(schema: z.ZodType<T>, value: unknown, ctx: z.RefinementCtx): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path.map((p) => OPTION_OF[String(p)] ?? String(p)) });
  return z.NEVER;
}
const OPTION_OF: Record<string, string> = { id: 'args', priceCents: 'price-cents', budgetCents: 'budget-cents', stripeCustomerId: 'stripe-customer' };

const commandSchemas = {
  list: z
    .strictObject({
      args: z.tuple([], { error: 'takes no record id' }),
      status: z.enum(RECORD_STATUSES, { error: `must be one of ${RECORD_STATUSES.join(', ')}` }).optional(),
      reason: z.string().min(1).optional(),
      limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, LIMIT_RANGE).max(1000, LIMIT_RANGE).optional(),
      account: accountIdSchema.optional(),
      json,
    })
    .transform(({ args: _args, json, ...query }): Command => ({ name: 'list', query, json })),
  show: z.strictObject({ args: oneRef, json }).transform((c): Command => ({ name: 'show', ref: c.args[0], json: c.json })),
  approve: z.strictObject({ args: oneRef, json }).transform((c): Command => ({ name: 'approve', ref: c.args[0], json: c.json })),
  correct: z
    .strictObject({ args: oneRef, output: z.string({ error: 'is required: a JSON file with the output' }).min(1), json })
    .transform((c): Command => ({ name: 'correct', ref: c.args[0], outputFile: c.output, json: c.json })),
  retry: z
    .strictObject({
      args: z.array(recordRef).max(1, 'expects one record <id>'),
      'all-investigating': z.boolean().default(false),
      json,
    })
    .refine((c) => (c.args.length === 1) !== c['all-investigating'], 'give a record <id> or --all-investigating')
    .transform((c): Command => (c.args[0] === undefined ? { name: 'retry-all', json: c.json } : { name: 'retry', ref: c.args[0], json: c.json })),
  abandon: z
    .strictObject({ args: oneRef, reason: z.string({ error: 'is required' }).pipe(abandonReason), json })
    .transform((c): Command => ({ name: 'abandon', ref: c.args[0], reason: c.reason, json: c.json })),
  'accounts list': z.strictObject({ args: z.tuple([], { error: 'takes no arguments' }), json }).transform((c): Command => ({ name: 'accounts list', json: c.json })),
  'accounts show': z.strictObject({ args: oneAccount, json }).transform((c): Command => ({ name: 'accounts show', id: c.args[0], json: c.json })),
  'accounts create': z
    .strictObject({
      args: oneAccount,
      name: z.string({ error: 'is required' }),
      'price-cents': cents.optional(),
      currency: z.string().optional(),
      'budget-cents': cents.optional(),
      'stripe-customer': z.string().optional(),
      json,
    })
    .transform((c, ctx): Command => {
      const body = { id: c.args[0], name: c.name, priceCents: c['price-cents'], currency: c.currency, budgetCents: c['budget-cents'], stripeCustomerId: c['stripe-customer'] };
      const defined = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined));
      return { name: 'accounts create', body: bodyOf(createAccountBodySchema, defined, ctx), json: c.json };
    }),
  'accounts update': z
    .strictObject({
      args: oneAccount,
      name: z.string().optional(),
      'price-cents': centsOr('default').optional(),
      currency: z.string().optional(),
      'budget-cents': centsOr('none').optional(),
      'stripe-customer': z.string().transform((v) => (v === 'none' ? null : v)).optional(),
      json,
    })
    .transform((c, ctx): Command => {
      const patch = { name: c.name, priceCents: c['price-cents'], currency: c.currency, budgetCents: c['budget-cents'], stripeCustomerId: c['stripe-customer'] };
      const defined = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined));
      return { name: 'accounts update', id: c.args[0], patch: bodyOf(patchAccountBodySchema, defined, ctx), json: c.json };
    }),
  'keys create': z
    .strictObject({ args: oneAccount, role: z.enum(API_ROLES, { error: `must be one of ${API_ROLES.join(', ')}` }), json })
    .transform((c): Command => ({ name: 'keys create', account: c.args[0], role: c.role, json: c.json })),
  'keys revoke': z
    .strictObject({ args: z.tuple([z.string().min(1)], { error: 'expects one <key id>' }), json })
    .transform((c): Command => ({ name: 'keys revoke', keyId: c.args[0], json: c.json })),
  usage: z
    .strictObject({ args: z.tuple([], { error: 'takes no arguments' }), from: date.optional(), to: date.optional(), account: accountIdSchema.optional(), json })
    .transform(({ args: _args, json, ...query }): Command => ({ name: 'usage', query, json })),
};

const GROUPS = ['accounts', 'keys'];

function isCommandName(name: string): name is keyof typeof commandSchemas {
  return Object.hasOwn(commandSchemas, name);
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') return `${issue.keys.map((k) => `--${k}`).join(', ')} does not apply here`;
  const field = issue.path[0];
  return field === undefined || field === 'args' ? issue.message : `--${String(field)} ${issue.message}`;
}

function tokens(argv: readonly string[]) {
  try {
    return parseArgs({ args: [...argv], options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(err instanceof Error ? err.message : String(err));
  }
}

export function parseCommand(argv: readonly string[]): Command {
  const { values, positionals } = tokens(argv);
  const [first, ...rest] = positionals;
  if (values.help || first === 'help') return { name: 'help' };
  if (first === undefined) throw new UsageError('no command given');
  const grouped = GROUPS.includes(first);
  const name = grouped ? `${first} ${rest[0] ?? ''}`.trim() : first;
  const args = grouped ? rest.slice(1) : rest;
  if (!isCommandName(name)) throw new UsageError(grouped ? `unknown command '${name}': ${first} takes ${Object.keys(commandSchemas).filter((n) => n.startsWith(`${first} `)).map((n) => n.slice(first.length + 1)).join(', ')}` : `unknown command '${name}'`);
  const { help: _help, ...options } = values;
  const parsed = commandSchemas[name].safeParse({ ...options, args });
  if (!parsed.success) throw new UsageError(`${name}: ${parsed.error.issues.map(describeIssue).join('; ')}`);
  return parsed.data;
}
