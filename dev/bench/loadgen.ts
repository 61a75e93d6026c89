/**
 * An open-loop load generator: request i is due at start + i/rate whether or not earlier ones have
 * answered, and its latency counts from when it was due, so a stalled server shows up as latency
 * instead of silently lowering the rate (coordinated omission).
 */
import http from 'node:http';
import { percentile, round } from './stats';

export interface LoadSpec {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: (index: number) => string;
  expectStatus: number;
  ratePerSecond: number;
  seconds: number;
  timeoutMs?: number;
}

export interface LoadResult {
  ratePerSecond: number;
  sent: number;
  ok: number;
  errors: number;
  /** Requests answered per second over the series, so a generator that fell behind is visible. */
  achievedPerSecond: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  maxMs: number;
}

const DEFAULT_TIMEOUT_MS = 10_000;

function send(agent: http.Agent, spec: LoadSpec, body: string | undefined): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(spec.url, { method: spec.method, agent, headers: spec.headers, timeout: spec.timeoutMs ?? DEFAULT_TIMEOUT_MS }, (res) => {
      res.resume();
      res.once('end', () => resolve(res.statusCode ?? 0));
      res.once('error', reject);
    });
    req.once('timeout', () => req.destroy(new Error('timed out')));
    req.once('error', reject);
    req.end(body);
  });
}

export async function openLoop(spec: LoadSpec): Promise<LoadResult> {
  const count = Math.round(spec.ratePerSecond * spec.seconds);
  const agent = new http.Agent({ keepAlive: true, maxSockets: Infinity });
  const latencies: number[] = [];
  let errors = 0;
  const started = performance.now();
  const inFlight: Array<Promise<void>> = [];
  for (let i = 0; i < count; i++) {
    const due = started + (i * 1000) / spec.ratePerSecond;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    inFlight.push(
      send(agent, spec, spec.body?.(i)).then(
        (status) => (status === spec.expectStatus ? void latencies.push(performance.now() - due) : void (errors += 1)),
        () => void (errors += 1),
      ),
    );
  }
  await Promise.all(inFlight);
  const elapsedMs = performance.now() - started;
  agent.destroy();
  return {
    ratePerSecond: spec.ratePerSecond,
    sent: count,
    ok: latencies.length,
    errors,
    achievedPerSecond: round((latencies.length * 1000) / elapsedMs, 1),
    p50Ms: round(percentile(latencies, 50), 1),
    p95Ms: round(percentile(latencies, 95), 1),
    p99Ms: round(percentile(latencies, 99), 1),
    maxMs: round(percentile(latencies, 100), 1),
  };
}
