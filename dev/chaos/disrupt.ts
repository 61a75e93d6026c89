/**
 * The infrastructure faults of a run (DESIGN G7): the worker SIGKILLed, PostgreSQL stopped and
 * started again, the API SIGKILLed; each at its planned point of progress, one after another in
 * its lane, so the stack is back up before it is hit again.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { NoPidFile } from './pids';
import type { ChaosEvent } from './plan';
import type { ChaosStack } from './stack';
import { secondsSince, type EventLog, type RunStats } from './stats';

export interface Progress {
  ingested: number;
  finished: number;
}

export interface DisruptOptions {
  stack: ChaosStack;
  records: number;
  progress(): Progress;
  stats: RunStats;
  deadline: number;
  /** How long PostgreSQL stays down. */
  dbPauseMs: number;
  onEvent(event: EventLog): void;
}

/** Room for the stack to pick up work again before the next blow. */
const GAP_MS = 3_000;

async function reached(event: ChaosEvent, options: DisruptOptions): Promise<boolean> {
  while (options.progress()[event.progress] < event.at * options.records) {
    if (Date.now() > options.deadline) return false;
    await sleep(200);
  }
  return true;
}

class Skip extends Error {}

async function untilHealthy(apiUrls: readonly string[], deadline: number): Promise<void> {
  for (const apiUrl of apiUrls) {
    for (;;) {
      const ok = await fetch(`${apiUrl}/healthz`, { signal: AbortSignal.timeout(2_000) }).then((r) => r.ok, () => false);
      if (ok) break;
      if (Date.now() > deadline) throw new Error(`the API at ${apiUrl} did not come back`);
      await sleep(100);
    }
  }
}

async function execute(event: ChaosEvent, { stack, dbPauseMs, deadline }: DisruptOptions): Promise<string> {
  switch (event.kind) {
    case 'kill-worker': {
      const { instance, killed, replacement } = await stack.kill('worker');
      return `${instance} pid ${killed} SIGKILLed; supervisor started pid ${replacement}`;
    }
    case 'restart-api': {
      const { instance, killed, replacement } = await stack.kill('api');
      await untilHealthy(stack.apiUrls, deadline);
      return `${instance} pid ${killed} SIGKILLed; supervisor started pid ${replacement}, listening again`;
    }
    case 'restart-db':
      if (!stack.restartDatabase) throw new Skip('the harness does not own the database (CHAOS_USE_RUNNING)');
      await stack.restartDatabase(dbPauseMs);
      return `PostgreSQL stopped, down ${dbPauseMs} ms, started again on the same data dir and port`;
  }
}

function logEvent(options: DisruptOptions, event: EventLog): void {
  options.stats.events.push(event);
  options.onEvent(event);
}

async function runLane(events: ChaosEvent[], options: DisruptOptions): Promise<void> {
  for (const event of events) {
    if (!(await reached(event, options))) {
      logEvent(options, { kind: event.kind, at: secondsSince(options.stats.startedAt), detail: '', skipped: 'the run reached its deadline first' });
      continue;
    }
    const started = Date.now();
    const at = secondsSince(options.stats.startedAt);
    try {
      const detail = await execute(event, options);
      logEvent(options, { kind: event.kind, at, detail, downMs: Date.now() - started });
    } catch (err) {
      if (!(err instanceof Skip || err instanceof NoPidFile)) throw err;
      logEvent(options, { kind: event.kind, at, detail: '', skipped: err.message });
    }
    await sleep(GAP_MS);
  }
}

export async function disrupt(events: ChaosEvent[], options: DisruptOptions): Promise<void> {
  await Promise.all([
    runLane(events.filter((e) => e.progress === 'ingested'), options),
    runLane(events.filter((e) => e.progress === 'finished'), options),
  ]);
}
