/** The circuit breaker: a provider that keeps failing is skipped while there is a next provider. */
import { createCircuitBreakers, type BreakerState } from '../providers/breaker';
import { ledgerOf, result, submit, uniqueId } from './support/records';
import { startStack, type Stack } from './support/stack';

describe('state machine', () => {
  const setup = (cooldownMs = 1_000) => {
    const clock = { now: 0 };
    const changes: Array<[string, BreakerState]> = [];
    const breakers = createCircuitBreakers({ failureThreshold: 3, cooldownMs, now: () => clock.now, onChange: (p, s) => changes.push([p, s]) });
    const trip = () => {
      for (let i = 0; i < 3; i++) breakers.tryAcquire('primary').release('down');
    };
    return { clock, changes, breakers, trip };
  };

  it('opens after the threshold, turns half-open after the cooldown, lets one probe through, and closes on its success', () => {
    const { clock, changes, breakers, trip } = setup();
    trip();
    expect(breakers.state('primary')).toBe('open');
    expect(breakers.tryAcquire('primary').admitted).toBe(false);
    expect(breakers.tryAcquire('fallback').admitted).toBe(true);
    clock.now = 1_000;
    expect(breakers.state('primary')).toBe('half_open');
    const probe = breakers.tryAcquire('primary');
    expect(probe.admitted).toBe(true);
    expect(breakers.tryAcquire('primary').admitted).toBe(false);
    probe.release('down');
    expect(breakers.state('primary')).toBe('open');
    clock.now = 2_000;
    breakers.tryAcquire('primary').release('up');
    expect(breakers.state('primary')).toBe('closed');
    // Half-open is reported as a change of its own: the gauge reads 1 while the probe is due.
    expect(changes).toEqual([
      ['primary', 'open'],
      ['primary', 'half_open'],
      ['primary', 'open'],
      ['primary', 'half_open'],
      ['primary', 'closed'],
    ]);
  });

  it('frees the probe whatever its outcome says about the provider, once', () => {
    const { clock, breakers, trip } = setup();
    trip();
    clock.now = 1_000;
    // A rejected request, a malformed answer, an exception of our own, a cancelled activity: `unknown`.
    const probe = breakers.tryAcquire('primary');
    probe.release('unknown');
    expect(breakers.state('primary')).toBe('half_open');
    const next = breakers.tryAcquire('primary');
    expect(next.admitted).toBe(true);
    // A second release of the first permit is not a second outcome, and does not free the new probe.
    probe.release('up');
    expect(breakers.state('primary')).toBe('half_open');
    expect(breakers.tryAcquire('primary').admitted).toBe(false);
    next.release('up');
    expect(breakers.state('primary')).toBe('closed');
  });

  it('reports half-open when the cooldown ends, without waiting for a call', async () => {
    const changes: BreakerState[] = [];
    const breakers = createCircuitBreakers({ failureThreshold: 1, cooldownMs: 50, onChange: (_p, s) => changes.push(s) });
    breakers.tryAcquire('primary').release('down');
    const deadline = Date.now() + 5_000;
    while (changes.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(changes).toEqual(['open', 'half_open']);
  });
});

describe('in the pipeline', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ settings: { BREAKER_FAILURE_THRESHOLD: '3', BREAKER_COOLDOWN_MS: '600000' } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('after primary keeps failing, the next record skips it and is served by fallback at once', async () => {
    const tripping = uniqueId('trip');
    await submit(stack, tripping, 'Primary down.', { faults: [{ provider: 'primary', status: 503, times: 10 }] });
    expect((await result(stack, tripping)).status).toBe('completed');
    const tripped = (await ledgerOf(stack, tripping)).calls.map((c) => [c.provider, c.outcome]);
    expect(tripped).toEqual([
      ['primary', 'retryable'],
      ['primary', 'retryable'],
      ['primary', 'retryable'],
      ['fallback', 'ok'],
    ]);
    const next = uniqueId('skipped');
    await submit(stack, next, 'Healthy request while the circuit is open.');
    expect((await result(stack, next)).status).toBe('completed');
    expect((await ledgerOf(stack, next)).calls.map((c) => [c.provider, c.outcome])).toEqual([['fallback', 'ok']]);
  });
});

describe('a half-open probe answered with a non-retryable error', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ settings: { BREAKER_FAILURE_THRESHOLD: '3', BREAKER_COOLDOWN_MS: '1000' } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const callsOf = async (id: string) => (await ledgerOf(stack, id)).calls.map((c) => [c.provider, c.outcome]);

  it('frees the probe, so the next record probes primary again instead of skipping it until a restart', async () => {
    const tripping = uniqueId('trip');
    await submit(stack, tripping, 'Primary down.', { faults: [{ provider: 'primary', status: 503, times: 10 }] });
    expect((await result(stack, tripping)).status).toBe('completed');
    const deadline = Date.now() + 10_000;
    while (stack.breakers.state('primary') !== 'half_open' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(stack.breakers.state('primary')).toBe('half_open');

    const rejected = uniqueId('probe-rejected');
    await submit(stack, rejected, 'The probe is refused.', { faults: [{ provider: 'primary', status: 400, times: 1 }] });
    expect((await result(stack, rejected)).status).toBe('completed');
    expect(await callsOf(rejected)).toEqual([
      ['primary', 'rejected'],
      ['fallback', 'ok'],
    ]);

    const next = uniqueId('probe-again');
    await submit(stack, next, 'Primary is answering again.');
    expect((await result(stack, next)).status).toBe('completed');
    expect(await callsOf(next)).toEqual([['primary', 'ok']]);
    expect(stack.breakers.state('primary')).toBe('closed');
  });
});
