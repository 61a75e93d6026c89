/**
 * Workflow starts taken off the sender's path. The `records` row is the durable acceptance: once it
 * is committed the record will run, so the HTTP API answers then and starts the workflow behind the
 * answer. A saturated or unreachable Temporal then slows processing, not ingest (BENCHMARKS.md:
 * waiting for the start put POST's p99 at 100 requests/s above a second on 2 cores).
 *
 * Nothing here is needed for safety: a start this process does not make (it dies, Temporal refuses
 * within the start deadline, the backlog is full) is made by the reconciler once the row has been
 * quiet for RECONCILE_QUIET_MS (reconcile/activities.ts). The backlog bounds memory, and the
 * concurrency bounds what a burst asks of Temporal at once.
 */
import pLimit from 'p-limit';
import type { Logger } from 'pino';
import type { RecordStarter, StartMemo } from '.';

export interface BackgroundStartSettings {
  /** Starts in flight to Temporal at once. */
  concurrency: number;
  /** Starts waiting or in flight; beyond it a record is left to the reconciler. */
  backlog: number;
}

export function createBackgroundStarts(start: RecordStarter, { concurrency, backlog }: BackgroundStartSettings, log: Logger) {
  const limit = pLimit(concurrency);
  // Counted here, not read from the limiter: its own counts change in an order this code should not depend on.
  let outstanding = 0;
  const onIdle: Array<() => void> = [];
  const settled = (count: number) => {
    outstanding -= count;
    if (outstanding === 0) for (const resolve of onIdle.splice(0)) resolve();
  };
  const idle = (): Promise<void> => (outstanding === 0 ? Promise.resolve() : new Promise((resolve) => onIdle.push(resolve)));

  return {
    /** Starts the record's workflow soon; never throws, since the sender has its answer already. */
    enqueue(id: string, account: string, source: string, memo: StartMemo | undefined): void {
      if (outstanding >= backlog) {
        log.warn({ recordId: id, backlog }, 'workflow start backlog full: the reconciler will start this record');
        return;
      }
      outstanding += 1;
      limit(() => start(id, account, source, memo))
        .catch((err: unknown) => log.warn({ recordId: id, err }, 'workflow start failed: the reconciler will start this record'))
        .finally(() => settled(1));
    },
    /** Starts waiting or in flight. */
    pending: (): number => outstanding,
    /** Resolves once every start enqueued so far is made or given up. */
    idle,
    /**
     * For shutdown: the starts waiting get `graceMs` to be made; those still waiting then are left to
     * the reconciler, and the ones in flight are awaited (each is bounded by the start deadline).
     */
    async close(graceMs: number): Promise<void> {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([idle(), new Promise<void>((resolve) => (timer = setTimeout(resolve, graceMs)))]);
      clearTimeout(timer);
      const left = limit.pendingCount;
      if (left > 0) {
        limit.clearQueue();
        settled(left);
        log.warn({ left }, 'shutting down with workflow starts not made: the reconciler will start those records');
      }
      await idle();
    },
  };
}

export type BackgroundStarts = ReturnType<typeof createBackgroundStarts>;
