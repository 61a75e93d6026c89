/**
 * Counts a supervised child's restarts from its pid file: the harness's own kills and the `crash`
 * faults of fault plans alike. A restart takes the supervisor at least half a second, so polling
 * faster than that misses none.
 */
import type { ChildName } from './pids';
import type { ChaosStack } from './stack';

const POLL_MS = 200;

export interface RestartWatch {
  restarts(): number;
  stop(): void;
}

export function watchRestarts(stack: ChaosStack, name: ChildName): RestartWatch {
  let last: number | undefined;
  let restarts = 0;
  const timer = setInterval(() => {
    void stack.pidOf(name).then((pid) => {
      if (pid !== undefined && last !== undefined && pid !== last) restarts += 1;
      if (pid !== undefined) last = pid;
    });
  }, POLL_MS);
  return {
    restarts: () => restarts,
    stop: () => clearInterval(timer),
  };
}
