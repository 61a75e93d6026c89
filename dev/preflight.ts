/**
 * Before `npm start` starts anything, every port that it and its children will listen on must be
 * free. A port another program holds is refused at once, naming its setting, instead of after the
 * database and Temporal are up; and that program is never taken for ours (the MLLP listener's
 * readiness is a bare TCP connect, which anything listening answers). Not checked: the embedded
 * PostgreSQL's port, since dev/postgres.ts joins the server already running on its data folder (one
 * a killed `npm start` left behind), which holds that port.
 */
import { createServer } from 'node:net';
import type { AppConfig } from '../config';
import { ConfigError } from '../config/error';
import { listenOn, type Listener } from '../config/runtime';
import { hostAndPort } from '../config/address';
import { childPlans, type Layout } from './topology/layout';

function listenersOf(config: AppConfig, layout: Layout): Listener[] {
  const { host } = config;
  const metrics = childPlans(layout, config, {}).flatMap(({ env: { WORKER_METRICS_ADDRESS: value } }) => {
    const address = hostAndPort(value);
    return address ? [{ setting: 'WORKER_METRICS_ADDRESS', value, ...address }] : [];
  });
  const managed = config.temporal.managed;
  return [
    ...layout.apiPorts.map((port) => ({ setting: 'PORT', host, port })),
    { setting: 'MLLP_PORT', host, port: config.mllp.port },
    ...metrics,
    // The production topology's server listens on loopback whatever HOST says (topology/temporal-server.ts).
    ...(managed ? [{ setting: 'TEMPORAL_DEV_PORT', host: layout.topology === 'dev' ? host : '127.0.0.1', port: config.temporal.devPort }] : []),
    ...(managed && layout.topology === 'dev' ? [{ setting: 'TEMPORAL_UI_PORT', host, port: config.temporal.uiPort }] : []),
    ...(config.simulatedProviders ? [{ setting: 'SIMULATOR_PORT', host, port: config.simulatorPort }] : []),
  ].filter((listener) => listener.port > 0);
}

const WILDCARDS = new Set([undefined, '0.0.0.0', '::']);
const overlap = (a: Listener, b: Listener): boolean => a.port === b.port && (a.host === b.host || WILDCARDS.has(a.host) || WILDCARDS.has(b.host));
const named = (l: Listener): string => `${l.setting}=${l.value ?? l.port}`;

/** Throws the ConfigError of the first port that two settings share, or that cannot be listened on. */
export async function refuseHeldPorts(config: AppConfig, layout: Layout): Promise<void> {
  const listeners = listenersOf(config, layout);
  listeners.forEach((listener, i) => {
    const other = listeners.slice(0, i).find((earlier) => overlap(earlier, listener));
    if (other) throw new ConfigError(`${named(other)} and ${named(listener)} name the same port: give each its own`);
  });
  for (const listener of listeners) {
    const server = createServer();
    await listenOn(server, listener);
    await new Promise((closed) => server.close(closed));
  }
}
