/**
 * What a process loads is memory it keeps: the worker SDK with its native core costs a Node
 * process about 50 MiB of RSS, the OpenTelemetry SDK about 20 (BENCHMARKS.md, the API's memory).
 * The processes that run no worker must not load it through a shared module (the logger, the
 * configuration), and no process loads the tracing SDK unless an endpoint is set.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const WORKER_ONLY = ['@temporalio/worker', '@temporalio/core-bridge', '@opentelemetry/sdk-trace-node', '@opentelemetry/exporter-trace-otlp-http'];

/** The packages a fresh Node process has loaded once it has required `module` (loading starts nothing). */
function packagesLoadedBy(module: string): string[] {
  const script = `require(${JSON.stringify(path.join(ROOT, module))});
    const names = Object.keys(require.cache).map((file) => /node_modules\\/((@[^/]+\\/)?[^/]+)/.exec(file)?.[1]).filter(Boolean);
    process.stdout.write(JSON.stringify([...new Set(names)]));`;
  return JSON.parse(execFileSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, encoding: 'utf8' })) as string[];
}

it.each(['api/service.ts', 'mllp/service.ts'])('%s loads no worker SDK and no tracing SDK', (module) => {
  const loaded = packagesLoadedBy(module);
  expect(loaded).toContain('@temporalio/client');
  expect(loaded.filter((name) => WORKER_ONLY.includes(name))).toEqual([]);
});

it('the worker process loads the worker SDK, so the check above can see it', () => {
  expect(packagesLoadedBy('workers/process.ts')).toEqual(expect.arrayContaining(['@temporalio/worker', '@temporalio/core-bridge']));
});
