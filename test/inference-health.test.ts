/**
 * Deep inference health (DESIGN §13): `GET /health/inference` sends the canary through each
 * provider's real adapter, caches what it found, and says healthy, degraded or unhealthy; a worker
 * process runs the same probe from its Schedule and exports `provider_health`.
 */
import { ScheduleOverlapPolicy } from '@temporalio/client';
import { freePort } from '../dev/processes';
import { startWorkerProcess } from './support/product-processes';
import { startSimulator } from '../dev/simulator';
import { probeProviders } from '../providers/health';
import { createProviderClients } from '../providers/registry';
import { parseProvidersSetting, warnDeprecated } from '../providers/settings';
import { INFERENCE_HEALTH_SCHEDULE_ID } from '../workers/inference-health';
import { startStack, type Stack } from './support/stack';
import { until } from './support/until';

const PRIMARY = 'sim-primary-2026-11-01';
const FALLBACK = 'sim-fallback-2026-11-01';
// Long enough that the calls meant to land in one cache period do so on a loaded machine.
const CACHE_MS = 4_000;

describe('the probe', () => {
  it('reports a deprecated provider with its replacement and sunset, and a slow one as failing the latency bound', async () => {
    // A bound far above what a healthy answer takes on a loaded machine, and a slow model far above the bound.
    const sim = await startSimulator({ port: 0, modelDelayMs: { 'sim-slow-2026-11-01': 60_000 } });
    try {
      const provider = (name: string, extra: object = {}) => ({ name, kind: 'openai', baseURL: `${sim.url}/v1`, model: `sim-${name}-2026-11-01`, apiKeyEnv: 'SIM_KEY', ...extra });
      const configs = parseProvidersSetting(
        JSON.stringify([provider('old', { deprecated: true, replacement: 'new', sunset: '2999-12-31' }), provider('new'), provider('slow')]),
        [],
      );
      const report = await probeProviders(createProviderClients(configs, { SIM_KEY: 'k' }), 2_000);
      expect(report.status).toBe('degraded');
      expect(report.providers).toEqual([
        { name: 'old', ok: true, schemaValid: true, latencyMs: expect.any(Number), deprecated: true, replacement: 'new', sunset: '2999-12-31' },
        { name: 'new', ok: true, schemaValid: true, latencyMs: expect.any(Number) },
        { name: 'slow', ok: false, schemaValid: false, latencyMs: expect.any(Number), error: 'no answer within 2000 ms' },
      ]);
      const warned: unknown[] = [];
      warnDeprecated(configs, { warn: (fields: unknown, message: string) => void warned.push([fields, message]) } as never);
      expect(warned).toEqual([[{ provider: 'old', model: 'sim-old-2026-11-01', replacement: 'new', sunset: '2999-12-31' }, 'provider is deprecated']]);
    } finally {
      await sim.close();
    }
  });
});

describe('GET /health/inference and the worker Schedule', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ settings: { HEALTH_CACHE_MS: String(CACHE_MS), HEALTH_LATENCY_MS: '5000' } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const health = async () => {
    const res = await fetch(`${stack.baseUrl}/health/inference`);
    return { status: res.status, body: (await res.json()) as { status: string; providers: Array<{ name: string; ok: boolean; error?: string }> } };
  };
  const canaryCalls = () => [stack.simulator.requestCount(PRIMARY), stack.simulator.requestCount(FALLBACK)];

  it('is healthy, then degraded while one provider fails, then unhealthy; one canary call per provider per cache period', async () => {
    const concurrent = await Promise.all(Array.from({ length: 5 }, health));
    for (const answer of concurrent) {
      expect(answer.status).toBe(200);
      expect(answer.body).toEqual({
        status: 'healthy',
        providers: [
          { name: 'primary', ok: true, latencyMs: expect.any(Number), schemaValid: true },
          { name: 'fallback', ok: true, latencyMs: expect.any(Number), schemaValid: true },
        ],
      });
    }
    expect((await health()).status).toBe(200);
    expect(canaryCalls()).toEqual([1, 1]);

    stack.simulator.setModelFault(PRIMARY, { status: 503 });
    // The cached verdict stands until the cache period ends; then one probe finds primary down.
    const degraded = await until('degraded', async () => {
      const answer = await health();
      return answer.status === 503 ? answer : undefined;
    });
    const more = await Promise.all(Array.from({ length: 5 }, health));
    for (const answer of [degraded, ...more]) {
      expect(answer.status).toBe(503);
      expect(answer.body.status).toBe('degraded');
      expect(answer.body.providers.map((p) => [p.name, p.ok, p.error])).toEqual([
        ['primary', false, 'provider primary: HTTP 503 (server_error)'],
        ['fallback', true, undefined],
      ]);
    }
    expect(canaryCalls()).toEqual([2, 2]);

    stack.simulator.setModelFault(FALLBACK, { status: 503 });
    const unhealthy = await until('unhealthy', async () => {
      const answer = await health();
      return answer.body.status === 'unhealthy' ? answer : undefined;
    });
    expect(unhealthy.status).toBe(503);
    expect(canaryCalls()).toEqual([3, 3]);
    stack.simulator.setModelFault(PRIMARY, undefined);
    stack.simulator.setModelFault(FALLBACK, undefined);
  });

  it('a worker process runs the probe from its Schedule and exports provider_health per provider', async () => {
    const metricsPort = await freePort();
    const worker = startWorkerProcess({
      temporalAddress: stack.env.address,
      simulatorPort: stack.simulator.port,
      restart: false,
      // A queue of its own: the Schedule's runs reach this process, not the test's in-process workers.
      env: { TEMPORAL_TASK_QUEUE: 'health-worker', WORKER_METRICS_ADDRESS: `127.0.0.1:${metricsPort}` },
    });
    try {
      const schedule = stack.env.client.schedule.getHandle(INFERENCE_HEALTH_SCHEDULE_ID);
      const described = await until('the Schedule', () => schedule.describe());
      expect(described.spec.intervals).toMatchObject([{ every: 60_000 }]);
      expect(described.action).toMatchObject({ workflowType: 'inferenceHealth', taskQueue: 'health-worker' });
      const gauge = (provider: string, value: number) => new RegExp(`^provider_health\\{[^}]*provider="${provider}"[^}]*\\} ${value}$`, 'm');
      const metrics = () => fetch(`http://127.0.0.1:${metricsPort}/metrics`).then((res) => res.text());

      // The server starts at most one scheduled workflow per second and drops a trigger that falls in
      // the same second as the last start, so a trigger whose probe has not shown up is repeated.
      const triggerUntil = (what: string, seen: (text: string) => boolean) => {
        let triggeredAt = 0;
        return until(what, async () => {
          if (Date.now() - triggeredAt > 1_500) {
            triggeredAt = Date.now();
            await schedule.trigger(ScheduleOverlapPolicy.ALLOW_ALL);
          }
          const text = await metrics();
          return seen(text) ? text : undefined;
        });
      };

      await triggerUntil('provider_health 1', (text) => gauge('primary', 1).test(text) && gauge('fallback', 1).test(text));
      stack.simulator.setModelFault(PRIMARY, { status: 503 });
      await triggerUntil('provider_health of primary 0', (text) => gauge('primary', 0).test(text) && gauge('fallback', 1).test(text));
    } finally {
      stack.simulator.setModelFault(PRIMARY, undefined);
      await worker.stop();
    }
  });
});
