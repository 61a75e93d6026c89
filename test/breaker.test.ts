/** The circuit breaker: a provider that keeps failing is skipped while there is a next provider. */
import { createCircuitBreakers, type BreakerState } from '../providers/breaker';
import { ledgerOf, result, submit, uniqueId } from './support/records';
import { startStack, type Stack } from './support/stack';

describe('state machine', () => {
  it('opens after the threshold, lets one probe through after the cooldown, and closes on its success', () => {
    let now = 0;
    const changes: Array<[string, BreakerState]> = [];
    const breakers = createCircuitBreakers({ failureThreshold: 3, cooldownMs: 1_000, now: () => now, onChange: (p, s) => changes.push([p, s]) });
    for (let i = 0; i < 3; i++) breakers.failed('primary');
    expect(breakers.state('primary')).toBe('open');
    expect(breakers.tryAcquire('primary')).toBe(false);
    expect(breakers.tryAcquire('fallback')).toBe(true);
    now = 1_000;
    expect(breakers.state('primary')).toBe('half_open');
    expect(breakers.tryAcquire('primary')).toBe(true);
    expect(breakers.tryAcquire('primary')).toBe(false);
    breakers.failed('primary');
    expect(breakers.state('primary')).toBe('open');
    now = 2_000;
    expect(breakers.tryAcquire('primary')).toBe(true);
    breakers.succeeded('primary');
    expect(breakers.state('primary')).toBe('closed');
    expect(changes).toEqual([
      ['primary', 'open'],
      ['primary', 'open'],
      ['primary', 'closed'],
    ]);
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
