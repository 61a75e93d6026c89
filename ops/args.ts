/**
 * The command line, parsed by node's parseArgs and then validated per command with zod, so every
 * mistake ends in one readable message and the usage text instead of a half-run operation.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { makeResolveSchema, RECORD_STATUSES, recordIdSchema } from '../contract';

export type Command =
  | { name: 'help' }
  | { name: 'list'; status: string | undefined; limit: number | undefined; json: boolean }
  | { name: 'show'; id: string; json: boolean }
  | { name: 'retry'; id: string; json: boolean }
  | { name: 'retry-all'; json: boolean }
  | { name: 'abandon'; id: string; reason: string; json: boolean };

export const USAGE = `usage: npm run ops -- <command> [options]

commands:
  list [--status <status>] [--limit <n>]   records, newest first (limit 1-1000, default 100)
  show <id>                                state, why it is parked, charge, model calls, events
  retry <id>                               re-run the failed step of a record in needs_investigation
  retry --all-investigating                retry every record in needs_investigation
  abandon <id> --reason "<text>"           refund the charge and close the record as failed

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
  limit: { type: 'string' },
  reason: { type: 'string' },
  json: { type: 'boolean' },
  'all-investigating': { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
} as const;

const json = z.boolean().default(false);
const LIMIT_RANGE = 'must be from 1 to 1000';
const oneId = z.tuple([recordIdSchema], { error: 'expects one record <id>' });
const abandonReason = makeResolveSchema().options[1].shape.reason;

const commandSchemas = {
  list: z
    .strictObject({
      args: z.tuple([], { error: 'takes no record id' }),
      status: z.enum(RECORD_STATUSES, { error: `must be one of ${RECORD_STATUSES.join(', ')}` }).optional(),
      limit: z.coerce.number({ error: 'must be a number' }).int('must be a whole number').min(1, LIMIT_RANGE).max(1000, LIMIT_RANGE).optional(),
      json,
    })
    .transform((c): Command => ({ name: 'list', status: c.status, limit: c.limit, json: c.json })),
  show: z.strictObject({ args: oneId, json }).transform((c): Command => ({ name: 'show', id: c.args[0], json: c.json })),
  retry: z
    .strictObject({
      args: z.array(recordIdSchema).max(1, 'expects one record <id>'),
      'all-investigating': z.boolean().default(false),
      json,
    })
    .refine((c) => (c.args.length === 1) !== c['all-investigating'], 'give a record <id> or --all-investigating')
    .transform((c): Command => (c.args[0] === undefined ? { name: 'retry-all', json: c.json } : { name: 'retry', id: c.args[0], json: c.json })),
  abandon: z
    .strictObject({ args: oneId, reason: z.string({ error: 'is required' }).pipe(abandonReason), json })
    .transform((c): Command => ({ name: 'abandon', id: c.args[0], reason: c.reason, json: c.json })),
};

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
  const [name, ...args] = positionals;
  if (values.help || name === 'help') return { name: 'help' };
  if (name === undefined) throw new UsageError('no command given');
  if (!isCommandName(name)) throw new UsageError(`unknown command '${name}'`);
  const { help: _help, ...options } = values;
  const parsed = commandSchemas[name].safeParse({ ...options, args });
  if (!parsed.success) throw new UsageError(`${name}: ${parsed.error.issues.map(describeIssue).join('; ')}`);
  return parsed.data;
}
