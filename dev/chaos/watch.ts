/**
 * Counts the restarts of a kind of supervised child from its pid files: the harness's own kills and
 * the `crash` faults of fault plans alike, of every process of the kind. A restart takes the
 * supervisor at least half a second, so polling faster than that misses none.
 */
import type { ChildName } from './pids';
import type { ChaosStack } from './stack';

const POLL_MS = 200;

export interface RestartWatch {
  restarts(): number;
  stop(): void;
}

export function watchRestarts(stack: ChaosStack, name: ChildName): RestartWatch {
  const last = new Map<string, number>();
  let restarts = 0;
  const timer = setInterval(() => {
    void stack.pidsOf(name).then((pids) => {
      for (const [instance, pid] of pids) {
        const before = last.get(instance);
        if (before !== undefined && pid !== before) restarts += 1;
        last.set(instance, pid);
      }
    });
  }, POLL_MS);
  return {
    restarts: () => restarts,
    stop: () => clearInterval(timer),
  };
}
