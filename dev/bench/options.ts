/** `npm run bench -- [flags]`: what to measure and how much of it. */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { RUNTIMES, type Runtime } from './children';
import type { TemporalStore } from './environment';
import { TOPOLOGIES, type Topology } from '../topology/layout';

/**
 * `pipeline` alone is one clean pipeline run per repetition, without the baselines: the same
 * records in every run, on a database that grows by one run's records each time.
 */
export const SCENARIOS = ['throughput', 'pipeline', 'latency', 'isolation', 'faults', 'scaling'] as const;
export type Scenario = (typeof SCENARIOS)[number];

export interface BenchOptions {
  quick: boolean;
  reps: number;
  /** Records per throughput run (issue 8: 2,000). */
  records: number;
  scenarios: Scenario[];
  latency: { ratesPerSecond: number[]; seconds: number };
  /** Records (or baseline workflows) being submitted at once: a client with a bounded pool. */
  submitConcurrency: number;
  /** One more pipeline run with the worker under --cpu-prof, summarised in the results. */
  profile: boolean;
  chart: boolean;
  /** `production`: the Temporal server of the production topology, on the app's PostgreSQL (dev/topology). */
  topology: Topology;
  temporalStore: TemporalStore;
  /** How the worker, the baseline worker and the API run: compiled (dev/bench/build.ts) or through tsx. */
  runtime: Runtime;
  out: string | undefined;
}

export const USAGE = `npm run bench -- [--help] [--quick] [--reps n] [--records n] [--only ${SCENARIOS.join(',')}] [--latency-seconds s] [--topology dev|production] [--temporal-store memory|file] [--runtime compiled|tsx] [--profile] [--chart] [--out file.json]`;

const FULL = { reps: 3, records: 2_000, latencySeconds: 10 };
const QUICK = { reps: 1, records: 200, latencySeconds: 2 };

const argsSchema = z.strictObject({
  quick: z.boolean().default(false),
  reps: z.coerce.number().int().min(1).max(20).optional(),
  records: z.coerce.number().int().min(10).max(100_000).optional(),
  only: z
    .string()
    .transform((list) => list.split(',').map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(z.enum(SCENARIOS)).min(1))
    .optional(),
  'latency-seconds': z.coerce.number().min(1).max(300).optional(),
  'submit-concurrency': z.coerce.number().int().min(1).max(1_000).default(32),
  profile: z.boolean().default(false),
  chart: z.boolean().default(false),
  topology: z.enum(TOPOLOGIES).default('dev'),
  'temporal-store': z.enum(['memory', 'file']).optional(),
  runtime: z.enum(RUNTIMES).default('compiled'),
  out: z.string().min(1).optional(),
}).refine((args) => args.topology === 'dev' || args['temporal-store'] === undefined, {
  path: ['temporal-store'],
  message: 'the dev server\'s store: the production topology keeps Temporal\'s state in PostgreSQL',
});

/** Bad flags exit 2 with the usage; --help prints it and exits 0. */
export class UsageError extends Error {
  override name = 'UsageError';
  constructor(
    message: string,
    readonly exitCode = 2,
  ) {
    super(message);
  }
}

function rawArgs(argv: string[]): Record<string, unknown> {
  try {
    return parseArgs({
      args: argv,
      strict: true,
      options: {
        help: { type: 'boolean' },
        quick: { type: 'boolean' },
        reps: { type: 'string' },
        records: { type: 'string' },
        only: { type: 'string' },
        'latency-seconds': { type: 'string' },
        'submit-concurrency': { type: 'string' },
        profile: { type: 'boolean' },
        chart: { type: 'boolean' },
        topology: { type: 'string' },
        'temporal-store': { type: 'string' },
        runtime: { type: 'string' },
        out: { type: 'string' },
      },
    }).values;
  } catch (err) {
    throw new UsageError(`${(err as Error).message}\nusage: ${USAGE}`);
  }
}

export function parseOptions(argv: string[]): BenchOptions {
  const { help, ...raw } = rawArgs(argv);
  if (help === true) throw new UsageError(`usage: ${USAGE}`, 0);
  const parsed = argsSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `--${i.path.join('.')}: ${i.message}`).join('; ');
    throw new UsageError(`${issues}\nusage: ${USAGE}`);
  }
  const args = parsed.data;
  const sizes = args.quick ? QUICK : FULL;
  return {
    quick: args.quick,
    reps: args.reps ?? sizes.reps,
    records: args.records ?? sizes.records,
    scenarios: args.only ?? [...SCENARIOS],
    latency: { ratesPerSecond: [50, 100, 200], seconds: args['latency-seconds'] ?? sizes.latencySeconds },
    submitConcurrency: args['submit-concurrency'],
    profile: args.profile,
    chart: args.chart,
    topology: args.topology,
    temporalStore: args['temporal-store'] ?? 'memory',
    runtime: args.runtime,
    out: args.out,
  };
}
