/**
 * What `npm start -- [--topology …]` runs (dev/topology/layout.ts): one process of each kind in the
 * dev topology, two APIs and two workers in the production one, each with its own name (the pid
 * file's, which the chaos harness kills by), port and metrics port.
 */
import { loadConfig } from '../config';
import { childPlans, LayoutUsageError, parseLayout } from '../dev/topology/layout';

const config = loadConfig({ NODE_ENV: 'development', PORT: '4000', WORKER_METRICS_ADDRESS: '127.0.0.1:9500' });
const names = (argv: string[]) => childPlans(parseLayout(argv, config), config, {}).map((c) => c.name);

it('runs one process of each kind by default, and the production topology with two APIs and two workers', () => {
  expect(parseLayout([], config)).toEqual({ topology: 'dev', workers: 1, apiPorts: [4000] });
  expect(names([])).toEqual(['worker', 'api', 'mllp']);
  expect(parseLayout(['--topology', 'production'], config)).toEqual({ topology: 'production', workers: 2, apiPorts: [4000, 4001] });
  expect(names(['--topology', 'production'])).toEqual(['worker-1', 'worker-2', 'api-1', 'api-2', 'mllp']);
});

it('gives each API its port and each worker a metrics port of its own', () => {
  const plans = childPlans(parseLayout(['--topology', 'production', '--workers', '3', '--api-ports', '5000,5007'], config), config, { SHARED: 'x' });
  expect(plans.map((c) => [c.name, c.entry, c.env.PORT, c.env.WORKER_METRICS_ADDRESS, c.env.SHARED])).toEqual([
    ['worker-1', 'bin/worker.ts', undefined, '127.0.0.1:9500', 'x'],
    ['worker-2', 'bin/worker.ts', undefined, '127.0.0.1:9501', 'x'],
    ['worker-3', 'bin/worker.ts', undefined, '127.0.0.1:9502', 'x'],
    ['api-1', 'bin/api.ts', '5000', undefined, 'x'],
    ['api-2', 'bin/api.ts', '5007', undefined, 'x'],
    ['mllp', 'bin/mllp.ts', undefined, undefined, 'x'],
  ]);
  const off = loadConfig({ NODE_ENV: 'development', WORKER_METRICS_ADDRESS: '' });
  expect(childPlans(parseLayout(['--workers', '2'], off), off, {}).map((c) => c.env.WORKER_METRICS_ADDRESS)).toEqual(['', '', undefined, undefined]);
});

it('refuses an unknown topology, a bad port and an unknown flag, with the usage', () => {
  for (const argv of [['--topology', 'staging'], ['--api-ports', '3000,x'], ['--workers', '0'], ['--replicas', '2']]) {
    expect(() => parseLayout(argv, config)).toThrow(LayoutUsageError);
    expect(() => parseLayout(argv, config)).toThrow(/usage: npm start/);
  }
});
