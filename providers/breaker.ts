/**
 * A per-worker circuit breaker per provider: after a run of retryable failures the provider is
 * skipped for a cooldown, so records move on to the next provider at once instead of spending
 * their retry budget on one that is down. After the cooldown one call at a time probes it.
 */
export type BreakerState = 'closed' | 'open' | 'half_open';

export interface BreakerOptions {
  failureThreshold: number;
  cooldownMs: number;
  now?: () => number;
  onChange?: (provider: string, state: BreakerState) => void;
}

export interface CircuitBreakers {
  state(provider: string): BreakerState;
  /** Whether a call may go out now; in half-open, only one probe at a time. */
  tryAcquire(provider: string): boolean;
  succeeded(provider: string): void;
  failed(provider: string): void;
}

interface Circuit {
  failures: number;
  openedAt: number | null;
  probing: boolean;
}

export function createCircuitBreakers({ failureThreshold, cooldownMs, now = Date.now, onChange }: BreakerOptions): CircuitBreakers {
  const circuits = new Map<string, Circuit>();
  const circuit = (provider: string): Circuit => {
    let c = circuits.get(provider);
    if (!c) circuits.set(provider, (c = { failures: 0, openedAt: null, probing: false }));
    return c;
  };
  const stateOf = (c: Circuit): BreakerState => {
    if (c.openedAt === null) return 'closed';
    return now() - c.openedAt >= cooldownMs ? 'half_open' : 'open';
  };
  const transition = (provider: string, c: Circuit, change: () => void) => {
    const before = stateOf(c);
    change();
    const after = stateOf(c);
    if (after !== before) onChange?.(provider, after);
  };

  return {
    state: (provider) => stateOf(circuit(provider)),
    tryAcquire(provider) {
      const c = circuit(provider);
      const state = stateOf(c);
      if (state === 'closed') return true;
      if (state === 'open' || c.probing) return false;
      c.probing = true;
      return true;
    },
    succeeded(provider) {
      const c = circuit(provider);
      transition(provider, c, () => Object.assign(c, { failures: 0, openedAt: null, probing: false }));
    },
    failed(provider) {
      const c = circuit(provider);
      transition(provider, c, () => {
        c.failures += 1;
        // A failed probe reopens at once; a closed circuit opens at the threshold.
        if (c.probing || c.failures >= failureThreshold) c.openedAt = now();
        c.probing = false;
      });
    },
  };
}
