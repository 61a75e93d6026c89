/**
 * One run's processes: a fresh Temporal dev server (BenchEnvironment.freshTemporal), the provider
 * simulator, the speed probe (dev/bin/bench-speed-probe.ts), N worker processes (the pipeline's, or
 * the baseline worker, the same createWorkers with either baseline's bundle) on a task queue of the
 * run's own, and optionally the API. A queue per run keeps one run's leftovers (the slow provider's
 * unfinished records) away from the next run's workers.
 */
import path from 'node:path';
import { loadConfig, type AppConfig } from '../../config';
import { startSimulator } from '../simulator';
import { freePort, waitForPort } from '../processes';
import { payloadKeysSetting } from '../payload-keys';
import { nodeChild, type Child, type Runtime, type WorkerKind } from './children';
import { cpuSeconds, ownCpuSeconds, type CpuByComponent } from './cpu';
import { probeMedianMs } from './machine';
import type { BenchEnvironment } from './environment';
import { waitUntilPolling } from './readiness';
import { metricsUrl, requestCounts, type RequestCounts } from './requests';
import { processEnv, simulatedProviders, type ProcessSettings } from './settings';

export interface SessionOptions {
  tag: string;
  kind: WorkerKind;
  workers: number;
  providers?: string[];
  /** Latency of a provider's answers, by provider name. */
  providerDelayMs?: Record<string, number>;
  api?: boolean;
  /** Node flags for the worker processes and the API (--cpu-prof and its folder). */
  workerNodeFlags?: string[];
  apiNodeFlags?: string[];
}

export interface Session {
  tag: string;
  /** The configuration the processes run with, for the bench's own ingest to start records alike. */
  config: AppConfig;
  workers: Child[];
  apiUrl: string | undefined;
  assertAlive: () => void;
  /** CPU seconds so far of the workers, the API, Temporal, PostgreSQL and the bench (ingest, simulator, polling). */
  cpu(): CpuByComponent;
  /** What the workers and the Temporal server counted so far (on the production topology, the server's since it started). */
  requests(): Promise<RequestCounts>;
  /** The speed probe's median CPU ms between two times: how fast the machine was meanwhile. */
  speedProbeMs(fromMs: number, toMs: number): number | undefined;
  stop(): Promise<{ workerPeakRssMiB: Array<number | null>; apiPeakRssMiB: number | null }>;
}

const DEFAULT_PROVIDERS = ['primary', 'fallback'];

function delaysByModel(providers: ReturnType<typeof simulatedProviders>, delays: Record<string, number> = {}): Record<string, number> {
  return Object.fromEntries(providers.flatMap((p) => {
    const delay = delays[p.name];
    return delay === undefined ? [] : [[p.model, delay]];
  }));
}

async function startWorkers(bench: BenchEnvironment, baseEnv: NodeJS.ProcessEnv, runtime: Runtime, settings: ProcessSettings, options: SessionOptions, config: AppConfig) {
  const workers = await Promise.all(
    Array.from({ length: options.workers }, async (_, i) => {
      const metricsPort = await freePort();
      const env = processEnv(baseEnv, { ...settings, metricsPort });
      const logFile = path.join(bench.logDir, `${options.tag}-worker-${i + 1}.log`);
      const child = nodeChild(`${options.kind} worker ${i + 1}`, runtime, options.kind, env, logFile, options.workerNodeFlags);
      return { child, metricsUrl: metricsUrl(metricsPort) };
    }),
  );
  await Promise.all(workers.map((w) => waitUntilPolling(bench.client, w.child, { taskQueue: config.temporal.taskQueue, pipeline: config.pipeline })));
  return { children: workers.map((w) => w.child), metricsUrls: workers.map((w) => w.metricsUrl) };
}

async function startApi(bench: BenchEnvironment, baseEnv: NodeJS.ProcessEnv, runtime: Runtime, settings: ProcessSettings, options: SessionOptions): Promise<{ child: Child; url: string }> {
  const apiPort = await freePort();
  const env = processEnv(baseEnv, { ...settings, apiPort });
  const child = nodeChild('api', runtime, 'api', env, path.join(bench.logDir, `${options.tag}-api.log`), options.apiNodeFlags);
  await waitForPort(apiPort, '127.0.0.1', 120_000);
  return { child, url: `http://127.0.0.1:${apiPort}` };
}

export async function startSession(bench: BenchEnvironment, baseEnv: NodeJS.ProcessEnv, runtime: Runtime, options: SessionOptions): Promise<Session> {
  await bench.freshTemporal();
  const port = await freePort();
  const providers = simulatedProviders(`http://127.0.0.1:${port}`, options.providers ?? DEFAULT_PROVIDERS);
  const simulator = await startSimulator({ port, modelDelayMs: delaysByModel(providers, options.providerDelayMs) });
  const settings: ProcessSettings = {
    databaseUrl: bench.databaseUrl,
    temporalAddress: bench.temporalAddress,
    taskQueue: `bench-${options.tag}`,
    providers,
    bundle: bench.bundles[options.kind],
    payloadKeys: payloadKeysSetting(bench.payloadKeys),
  };
  const config = loadConfig(processEnv(baseEnv, settings));
  const probeLog = path.join(bench.logDir, `${options.tag}-speed-probe.log`);
  const probe = nodeChild('speed probe', runtime, 'probe', baseEnv, probeLog);
  const [{ children: workers, metricsUrls }, api] = await Promise.all([
    startWorkers(bench, baseEnv, runtime, settings, options, config),
    options.api ? startApi(bench, baseEnv, runtime, settings, options) : undefined,
  ]);
  const children = [...workers, ...(api ? [api.child] : []), probe];
  return {
    tag: options.tag,
    config,
    workers,
    apiUrl: api?.url,
    assertAlive: () => children.forEach((c) => c.assertAlive()),
    cpu: () => ({
      workers: workers.reduce((sum, w) => sum + cpuSeconds(w.pid), 0),
      ...(api ? { api: cpuSeconds(api.child.pid) } : {}),
      ...bench.cpu(),
      bench: ownCpuSeconds(),
    }),
    requests: () => requestCounts(metricsUrls, bench.temporalMetricsUrl),
    speedProbeMs: (fromMs, toMs) => probeMedianMs(probeLog, fromMs, toMs),
    async stop() {
      const [workerPeakRssMiB, apiPeakRssMiB] = await Promise.all([Promise.all(workers.map((w) => w.stop())), api ? api.child.stop() : null, probe.stop()]);
      await simulator.close();
      return { workerPeakRssMiB, apiPeakRssMiB };
    },
  };
}
