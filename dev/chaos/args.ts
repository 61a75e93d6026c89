/** `npm run chaos -- --records N --fault-rate R --seed S [...]`, parsed and checked once. */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { TOPOLOGIES, type Topology } from '../topology/layout';

const USAGE = `usage: npm run chaos -- --records N --fault-rate R --seed S [--topology dev|production]
  [--worker-kills 3] [--db-restarts 1] [--api-restarts 1] [--db-pause-ms 3000]
  [--max-in-flight 200] [--redeliver 0.02] [--deadline-minutes M] [--billing ledger|stripe] [--out FILE.json] [--keep]`;

const optionsSchema = z.strictObject({
  records: z.coerce.number().int().min(1).max(1_000_000).default(300),
  'fault-rate': z.coerce.number().min(0).max(1).default(0.3),
  seed: z.coerce.number().int().min(0).max(2 ** 32 - 1).default(1),
  topology: z.enum(TOPOLOGIES).default('dev'),
  'worker-kills': z.coerce.number().int().min(0).max(100).default(3),
  'db-restarts': z.coerce.number().int().min(0).max(20).default(1),
  'api-restarts': z.coerce.number().int().min(0).max(20).default(1),
  'db-pause-ms': z.coerce.number().int().min(0).max(60_000).default(3_000),
  'max-in-flight': z.coerce.number().int().min(1).default(200),
  redeliver: z.coerce.number().min(0).max(1).default(0.02),
  'deadline-minutes': z.coerce.number().positive().optional(),
  billing: z.enum(['ledger', 'stripe']).default('ledger'),
  out: z.string().min(1).optional(),
  keep: z.boolean().default(false),
});

export interface ChaosOptions {
  records: number;
  faultRate: number;
  seed: number;
  /** The system the harness starts (dev/topology/layout.ts); a running stack is taken as it is. */
  topology: Topology;
  workerKills: number;
  dbRestarts: number;
  apiRestarts: number;
  dbPauseMs: number;
  /**
   * Records sent but not yet finished (settled or parked), at most: a feed arrives over time. Ten
   * thousand workflows started at once would spend the run evicting each other from the worker's cache.
   */
  maxInFlight: number;
  /** Share of the records sent a second time after they settled, as a sender that lost its ACK would. */
  redeliver: number;
  deadlineMs: number;
  /** stripe: the workers bill through the Stripe SDK to stripe-mock behind the recording proxy, and the report counts what reached it. */
  billing: 'ledger' | 'stripe';
  out: string;
  /** Keep the run's data dir and supervisor log. */
  keep: boolean;
}

export class UsageError extends Error {
  override name = 'UsageError';
}

/** Room for a run this size on a small machine, which settles some 2–3 records a second under chaos: 10 minutes plus one per 100 records. */
const defaultDeadlineMinutes = (records: number): number => 10 + records / 100;

export function parseChaosArgs(argv: string[], cwd: string): ChaosOptions {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        records: { type: 'string' },
        'fault-rate': { type: 'string' },
        seed: { type: 'string' },
        topology: { type: 'string' },
        'worker-kills': { type: 'string' },
        'db-restarts': { type: 'string' },
        'api-restarts': { type: 'string' },
        'db-pause-ms': { type: 'string' },
        'max-in-flight': { type: 'string' },
        redeliver: { type: 'string' },
        'deadline-minutes': { type: 'string' },
        billing: { type: 'string' },
        out: { type: 'string' },
        keep: { type: 'boolean' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\n${USAGE}`);
  }
  const parsed = optionsSchema.safeParse(values);
  if (!parsed.success) throw new UsageError(`${z.prettifyError(parsed.error)}\n${USAGE}`);
  const o = parsed.data;
  return {
    records: o.records,
    faultRate: o['fault-rate'],
    seed: o.seed,
    topology: o.topology,
    workerKills: o['worker-kills'],
    dbRestarts: o['db-restarts'],
    apiRestarts: o['api-restarts'],
    dbPauseMs: o['db-pause-ms'],
    maxInFlight: o['max-in-flight'],
    redeliver: o.redeliver,
    deadlineMs: (o['deadline-minutes'] ?? defaultDeadlineMinutes(o.records)) * 60_000,
    billing: o.billing,
    out: path.resolve(cwd, o.out ?? path.join('.data', 'chaos', `result-${o.topology === 'dev' ? '' : `${o.topology}-`}seed${o.seed}-${o.records}.json`)),
    keep: o.keep,
  };
}
