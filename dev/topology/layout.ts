/**
 * Which system `npm start` runs (DESIGN §9). `dev`: the Temporal dev server (SQLite, Web UI) and
 * one process of each kind. `production`: the production topology on one machine, as
 * docker-compose.yml lays it out: the real Temporal server on the same PostgreSQL as the app
 * (dev/topology/temporal-server.ts), two API processes, two worker processes, one MLLP listener.
 *
 *   npm start -- [--topology dev|production] [--workers N] [--api-ports P1,P2,...]
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import type { AppConfig } from '../../config';
import { hostAndPort, joinHostPort } from '../../config/address';

export const TOPOLOGIES = ['dev', 'production'] as const;
export type Topology = (typeof TOPOLOGIES)[number];

export interface Layout {
  topology: Topology;
  workers: number;
  /** One API process per port. */
  apiPorts: number[];
}

export interface ChildPlan {
  /** Numbered (`worker-2`) when a kind has several processes; the pid file takes this name. */
  name: string;
  entry: string;
  env: NodeJS.ProcessEnv;
}

const USAGE = 'usage: npm start -- [--topology dev|production] [--workers N] [--api-ports P1,P2,...]';
/** How many processes of each shared kind a topology runs by default. */
export const PROCESSES = { dev: { workers: 1, apis: 1 }, production: { workers: 2, apis: 2 } } as const;

const port = z.coerce.number<string>().int().min(1).max(65_535);
const argsSchema = z.strictObject({
  topology: z.enum(TOPOLOGIES).default('dev'),
  workers: z.coerce.number().int().min(1).max(16).optional(),
  'api-ports': z
    .string()
    .transform((list) => list.split(',').map((p) => p.trim()))
    .pipe(z.array(port).min(1).max(16))
    .optional(),
});

export class LayoutUsageError extends Error {
  override name = 'LayoutUsageError';
}

export function parseLayout(argv: string[], config: AppConfig): Layout {
  let values: Record<string, unknown>;
  try {
    ({ values } = parseArgs({ args: argv, strict: true, options: { topology: { type: 'string' }, workers: { type: 'string' }, 'api-ports': { type: 'string' } } }));
  } catch (err) {
    throw new LayoutUsageError(`${(err as Error).message}\n${USAGE}`);
  }
  const parsed = argsSchema.safeParse(values);
  if (!parsed.success) throw new LayoutUsageError(`${z.prettifyError(parsed.error)}\n${USAGE}`);
  const { topology, workers, 'api-ports': apiPorts } = parsed.data;
  const counts = PROCESSES[topology];
  return {
    topology,
    workers: workers ?? counts.workers,
    apiPorts: apiPorts ?? Array.from({ length: counts.apis }, (_, i) => config.port + i),
  };
}

const numbered = (kind: string, i: number, count: number): string => (count > 1 ? `${kind}-${i + 1}` : kind);

/** Each worker serves its metrics on a port of its own, the next after the configured one. */
function metricsAddress(configured: string | undefined, i: number): string {
  const parsed = hostAndPort(configured);
  if (!parsed) return configured ?? '';
  return joinHostPort(parsed.host, parsed.port + i);
}

export function childPlans(layout: Layout, config: AppConfig, env: NodeJS.ProcessEnv): ChildPlan[] {
  const workers = Array.from({ length: layout.workers }, (_, i) => ({
    name: numbered('worker', i, layout.workers),
    entry: 'bin/worker.ts',
    env: { ...env, WORKER_METRICS_ADDRESS: metricsAddress(config.workerMetricsAddress, i) },
  }));
  const apis = layout.apiPorts.map((apiPort, i) => ({
    name: numbered('api', i, layout.apiPorts.length),
    entry: 'bin/api.ts',
    env: { ...env, PORT: String(apiPort) },
  }));
  return [...workers, ...apis, { name: 'mllp', entry: 'bin/mllp.ts', env }];
}
