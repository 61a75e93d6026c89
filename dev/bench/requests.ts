/**
 * What a run asked of Temporal, counted by the processes themselves: the workers' SDK metrics (the
 * bench gives each worker a WORKER_METRICS_ADDRESS) and the server's own. The history shows what a
 * workflow needed; these show what the processes did to get it (polls that came back empty, tasks
 * that missed the sticky cache, full histories fetched, the server's writes), which is where two
 * worker processes could cost more per record than one.
 */
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

/** A counter, with the labels a series must carry to count (none: every series of it). */
interface Counted {
  metric: string;
  labels?: Record<string, string>;
}

/** Each worker count: its label in the cost table, and the counters it sums. */
const WORKER_COUNTS: Record<string, { label: string; counted: Counted[] }> = {
  workflowTasksCompleted: { label: 'workers: workflow tasks completed', counted: [{ metric: 'temporal_request', labels: { operation: 'RespondWorkflowTaskCompleted' } }] },
  activityTasksCompleted: { label: 'workers: activity tasks completed', counted: [{ metric: 'temporal_request', labels: { operation: 'RespondActivityTaskCompleted' } }] },
  workflowTaskPolls: { label: 'workers: workflow-task polls', counted: [{ metric: 'temporal_long_request', labels: { operation: 'PollWorkflowTaskQueue' } }] },
  activityTaskPolls: { label: 'workers: activity-task polls', counted: [{ metric: 'temporal_long_request', labels: { operation: 'PollActivityTaskQueue' } }] },
  emptyPolls: { label: 'workers: polls that ended empty', counted: [{ metric: 'temporal_workflow_task_queue_poll_empty' }, { metric: 'temporal_activity_poll_no_task' }] },
  stickyCacheHits: { label: 'workers: sticky cache hits', counted: [{ metric: 'temporal_sticky_cache_hit' }] },
  historiesFetched: { label: 'workers: full histories fetched', counted: [{ metric: 'temporal_request', labels: { operation: 'GetWorkflowExecutionHistory' } }] },
};
export const WORKER_COUNT_NAMES = Object.keys(WORKER_COUNTS);

/** The server's writes and reads of its store, by operation: where a workflow's cost lands on it. */
const PERSISTENCE = 'persistence_requests';
const PERSISTENCE_PREFIX = 'persistence ';
export const PERSISTENCE_TOTAL = `${PERSISTENCE_PREFIX}(all)`;

/** Counts by name: the workers' (WORKER_COUNTS) and the server's persistence requests, in all and by operation. */
export type RequestCounts = Record<string, number>;

export function requestLabel(name: string): string {
  const worker = WORKER_COUNTS[name];
  if (worker) return worker.label;
  if (name === PERSISTENCE_TOTAL) return 'Temporal server: persistence requests, all';
  return `Temporal server: persistence requests, ${name.slice(PERSISTENCE_PREFIX.length)}`;
}

export const isPersistenceOperation = (name: string): boolean => name.startsWith(PERSISTENCE_PREFIX) && name !== PERSISTENCE_TOTAL;

type Families = ReturnType<typeof parsePrometheusTextFormat>;

/** Where a process that serves Prometheus metrics on this port (a worker, the Temporal server) serves them. */
export const metricsUrl = (port: number): string => `http://127.0.0.1:${port}/metrics`;

async function scrape(url: string): Promise<Families> {
  const res = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!res.ok) throw new Error(`${url} answered HTTP ${res.status}`);
  return parsePrometheusTextFormat(await res.text());
}

const series = (families: Families, metric: string) => families.find((f) => f.name === metric)?.metrics ?? [];

function sum(families: Families, counted: Counted[]): number {
  return counted.reduce((total, { metric, labels = {} }) => {
    const matching = series(families, metric).filter((s) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v));
    return total + matching.reduce((n, s) => n + Number(s.value ?? 0), 0);
  }, 0);
}

function persistence(server: Families): RequestCounts {
  const counts: RequestCounts = {};
  for (const s of series(server, PERSISTENCE)) {
    const name = `${PERSISTENCE_PREFIX}${s.labels?.operation ?? 'unnamed'}`;
    counts[name] = (counts[name] ?? 0) + Number(s.value ?? 0);
  }
  return { ...counts, [PERSISTENCE_TOTAL]: Object.values(counts).reduce((a, b) => a + b, 0) };
}

/** The counts so far, summed over the workers, and the server's. */
export async function requestCounts(workerUrls: string[], serverUrl: string): Promise<RequestCounts> {
  const [workers, server] = await Promise.all([Promise.all(workerUrls.map(scrape)), scrape(serverUrl)]);
  const ofWorkers = Object.entries(WORKER_COUNTS).map(([name, { counted }]): [string, number] => [name, workers.reduce((n, families) => n + sum(families, counted), 0)]);
  return { ...Object.fromEntries(ofWorkers), ...persistence(server) };
}

/** What happened between two readings, per record; a name first seen in `after` counts from 0. */
export const perRecord = (before: RequestCounts, after: RequestCounts, records: number): RequestCounts =>
  Object.fromEntries(Object.entries(after).map(([name, n]) => [name, Math.round(((n - (before[name] ?? 0)) / records) * 100) / 100]));
