/**
 * A per-worker circuit breaker per provider: after a run of retryable failures the provider is
 * skipped for a cooldown, so records move on to the next provider at once instead of spending
 * their retry budget on one that is down. After the cooldown one call at a time probes it.
 */
export type BreakerState = 'closed' | 'open' | 'half_open';

/**
 * What a call says about the provider: it answered (`up`), it failed in a way that retrying may
 * fix (`down`), or nothing about its uptime (`unknown`: a rejected request, a malformed answer, an
 * exception of our own, a cancelled activity).
 */
export type CallHealth = 'up' | 'down' | 'unknown';

export interface Permit {
  /** False while the circuit is open or its one probe is out: a caller with a next provider skips this one. */
  readonly admitted: boolean;
  /** Reports the call's outcome and frees the probe; the first call counts, later ones do nothing. */
  release(health: CallHealth): void;
}

export interface BreakerOptions {
  failureThreshold: number;
  cooldownMs: number;
  now?: () => number;
  onChange?: (provider: string, state: BreakerState) => void;
}

export interface CircuitBreakers {
  state(provider: string): BreakerState;
  /**
   * A permit for one call. A caller that calls anyway without admission (the last provider of the
   * chain) still releases it, so the answer counts; only an admitted half-open permit is the probe.
   */
  tryAcquire(provider: string): Permit;
}

interface Circuit {
  state: BreakerState;
  failures: number;
  openedAt: number;
  probing: boolean;
  cooldown: ReturnType<typeof setTimeout> | undefined;
}

export function createCircuitBreakers({ failureThreshold, cooldownMs, now = Date.now, onChange }: BreakerOptions): CircuitBreakers {
  const circuits = new Map<string, Circuit>();
  const circuit = (provider: string): Circuit => {
    let c = circuits.get(provider);
    if (!c) circuits.set(provider, (c = { state: 'closed', failures: 0, openedAt: 0, probing: false, cooldown: undefined }));
    return c;
  };
  const moveTo = (provider: string, c: Circuit, state: BreakerState) => {
    if (c.state === state) return;
    c.state = state;
    onChange?.(provider, state);
  };
  /** Half-open is a state of its own, so the gauge shows it when the cooldown ends, not at the next call. */
  const refresh = (provider: string, c: Circuit): Circuit => {
    if (c.state === 'open' && now() - c.openedAt >= cooldownMs) moveTo(provider, c, 'half_open');
    return c;
  };
  const open = (provider: string, c: Circuit) => {
    c.openedAt = now();
    moveTo(provider, c, 'open');
    clearTimeout(c.cooldown);
    // Unref'd: a worker shutting down does not wait for a cooldown to end.
    c.cooldown = setTimeout(() => refresh(provider, c), cooldownMs);
    c.cooldown.unref();
  };

  function report(provider: string, c: Circuit, probe: boolean, health: CallHealth) {
    if (probe) c.probing = false;
    if (health === 'up') {
      c.failures = 0;
      clearTimeout(c.cooldown);
      moveTo(provider, c, 'closed');
    } else if (health === 'down') {
      c.failures += 1;
      // A failed probe reopens at once; a closed circuit opens at the threshold; an open one restarts its cooldown.
      if (probe || c.failures >= failureThreshold) open(provider, c);
    }
  }

  return {
    state: (provider) => refresh(provider, circuit(provider)).state,
    tryAcquire(provider) {
      const c = refresh(provider, circuit(provider));
      const probe = c.state === 'half_open' && !c.probing;
      if (probe) c.probing = true;
      let released = false;
      return {
        admitted: c.state === 'closed' || probe,
        release(health) {
          if (released) return;
          released = true;
          report(provider, c, probe, health);
        },
      };
    },
  };
}
