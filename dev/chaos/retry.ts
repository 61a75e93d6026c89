/**
 * How every client of the harness behaves while the stack is down: it keeps trying with capped
 * exponential backoff and jitter until the run's deadline. What counts as "try again" is the
 * caller's call; a retried send is safe because every ingestion is idempotent by record id.
 */
import { setTimeout as sleep } from 'node:timers/promises';

export type Attempt<T> = { done: T } | { retry: string };

export interface RetryPolicy {
  initialMs: number;
  maxMs: number;
  deadline: number;
  onRetry(reason: string): void;
}

export class DeadlineExceeded extends Error {
  override name = 'DeadlineExceeded';
}

export async function untilDone<T>(attempt: () => Promise<Attempt<T>>, policy: RetryPolicy): Promise<T> {
  let delay = policy.initialMs;
  for (;;) {
    const result = await attempt();
    if ('done' in result) return result.done;
    if (Date.now() + delay > policy.deadline) throw new DeadlineExceeded(`gave up at the run's deadline; last answer: ${result.retry}`);
    policy.onRetry(result.retry);
    await sleep(delay / 2 + Math.random() * (delay / 2));
    delay = Math.min(delay * 2, policy.maxMs);
  }
}

/** A failure to talk at all (refused, reset, timed out) as a retry reason; anything else is a bug and is thrown. */
export function networkFailure(err: unknown): { retry: string } {
  if (err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError' || err instanceof TypeError)) {
    const cause = (err.cause as { code?: string } | undefined)?.code;
    return { retry: `${err.name}${cause ? ` ${cause}` : ''}: ${err.message}` };
  }
  if (err instanceof Error && 'code' in err) return { retry: `${String((err as NodeJS.ErrnoException).code)}: ${err.message}` };
  throw err;
}
