/**
 * A process that cannot run as configured says which setting to change, in one line, and exits
 * with 78; a supervisor does not restart it, since it would refuse again. `npm start`'s check of its
 * ports before it starts anything is in test/start.test.ts.
 */
import { createServer, type Server } from 'node:net';
import { ConfigError, loadConfig } from '../config';
import { listenOn } from '../config/runtime';
import { refuseHeldPorts } from '../dev/preflight';
import { freePort, supervise } from '../dev/processes';
import { childPlans, parseLayout } from '../dev/topology/layout';
import { runToExit } from './support/product-processes';

let held: { server: Server; port: number };
beforeAll(async () => {
  const server = createServer((socket) => socket.destroy());
  const port = await freePort();
  await new Promise<void>((listening) => server.listen(port, '127.0.0.1', listening));
  held = { server, port };
});
afterAll(async () => {
  await new Promise((closed) => held?.server.close(closed));
});

it('a port another program holds is a configuration error naming the setting', async () => {
  const refused = listenOn(createServer(), { port: held.port, host: '127.0.0.1', setting: 'MLLP_PORT' });
  await expect(refused).rejects.toThrow(ConfigError);
  await expect(refused).rejects.toThrow(`MLLP_PORT=${held.port}: cannot listen on 127.0.0.1:${held.port}: the port is in use by another program (or another copy of this one)`);
});

it('npm start refuses two of its settings that name one port, before it listens anywhere', async () => {
  // The production topology runs its second API on PORT + 1.
  const config = loadConfig({ NODE_ENV: 'development', PORT: '4000', TEMPORAL_DEV_PORT: '4001' });
  await expect(refuseHeldPorts(config, parseLayout(['--topology', 'production'], config))).rejects.toThrow(
    new ConfigError('PORT=4001 and TEMPORAL_DEV_PORT=4001 name the same port: give each its own'),
  );
});

it('refuses a worker metrics address the SDK cannot bind, and numbers IPv6 ones per worker', () => {
  expect(() => loadConfig({ NODE_ENV: 'development', WORKER_METRICS_ADDRESS: 'localhost:9464' })).toThrow(
    new ConfigError("invalid environment: WORKER_METRICS_ADDRESS: must be an IP address and a port, such as 127.0.0.1:9464 or [::1]:9464 (no host name), or empty to turn the worker's metrics off"),
  );
  const v6 = loadConfig({ NODE_ENV: 'development', WORKER_METRICS_ADDRESS: '[::1]:9500' });
  const workers = childPlans(parseLayout(['--workers', '2'], v6), v6, {}).filter((plan) => plan.name.startsWith('worker'));
  expect(workers.map((plan) => plan.env.WORKER_METRICS_ADDRESS)).toEqual(['[::1]:9500', '[::1]:9501']);
});

it('a worker whose metrics address another program holds exits with 78 and one line naming WORKER_METRICS_ADDRESS', async () => {
  const address = `127.0.0.1:${held.port}`;
  expect(await runToExit('worker', { PATH: process.env.PATH, NODE_ENV: 'development', WORKER_METRICS_ADDRESS: address })).toEqual({
    code: 78,
    stderr: `configuration error: WORKER_METRICS_ADDRESS=${address}: cannot serve metrics there: Address already in use (os error 98)`,
  });
});

it('the supervisor restarts a child that died, but not one that refused its configuration', async () => {
  /** The supervisor's first line about a child that exits with `exitCode`, and whether it called onRefused. */
  const firstWord = async (name: string, exitCode: number) => {
    let refused = false;
    let said: (line: string) => void = () => undefined;
    const line = new Promise<string>((resolve) => (said = resolve));
    const child = supervise({ name, command: process.execPath, args: ['-e', `process.exit(${exitCode})`], restart: true, quiet: true, onRefused: () => (refused = true) }, said);
    const first = await line;
    await child.stop();
    return { line: first, refused, restarts: child.restarts() };
  };
  expect(await firstWord('refuser', 78)).toEqual({ line: 'refuser refused its configuration (its own "configuration error" line says why); not restarting it', refused: true, restarts: 0 });
  expect(await firstWord('crasher', 1)).toEqual({ line: expect.stringMatching(/^crasher exited \(code 1\); restarting in \d+ ms$/), refused: false, restarts: 1 });
});
