/**
 * `npm start`: the whole system on embedded defaults under one supervisor. It provisions the
 * Temporal CLI, runs the dev server (Web UI, SQLite in .data/ so state survives restarts),
 * embedded PostgreSQL with migrations, the provider simulator, the worker, the API and the MLLP
 * listener; it restarts a worker, API or listener that dies and stops everything cleanly on Ctrl-C,
 * or when one of them refuses its configuration (exit code 78, which a restart cannot cure).
 * It runs in development unless NODE_ENV says otherwise, on loopback unless HOST says otherwise, and
 * without PAYLOAD_KEYS on a development key it makes once in DATA_DIR.
 * `npm start -- --topology production` runs the production topology instead (dev/topology/layout.ts).
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig, type AppConfig } from '../config';
import { EXIT_CONFIGURATION } from '../config/runtime';
import { startEmbeddedPostgres } from './postgres';
import { refuseHeldPorts } from './preflight';
import { applyMigrations } from './migrations';
import { startSimulator } from './simulator';
import { startCodecRelay } from './codec-relay';
import { searchAttributeArgs } from './dev-server';
import { ensureDevPayloadKey } from './payload-keys';
import { SERVICE_ENV_DEFAULTS, supervise, waitForPort, type Supervised } from './processes';
import { ensureTemporalCli, provisionOptionsFromEnv } from './provision';
import { childPlans, LayoutUsageError, parseLayout, type Layout } from './topology/layout';
import { SHARED_POSTGRES_MAX_CONNECTIONS, startTemporalServer } from './topology/temporal-server';

const log = (line: string) => console.log(`[start] ${line}`);
const SIMULATOR_KEY = 'local-simulator';

/** What the children and the supervisor run with: the caller's environment over these defaults. */
const LOCAL_DEFAULTS = { NODE_ENV: 'development', HOST: '127.0.0.1' };

type Stopper = () => Promise<void>;

/** Where the supervisor itself reaches a listener bound to `host`. */
const dialHost = (host: string | undefined): string => (host === undefined || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host);

/** The dev server's Web UI decodes payloads through the API's codec endpoint, by way of the relay. */
async function startDevServer(config: AppConfig, stoppers: Stopper[]): Promise<void> {
  if (!config.temporal.managed) return log(`using Temporal at ${config.temporal.address}`);
  const cli = await ensureTemporalCli(log, provisionOptionsFromEnv(process.env));
  const relay = await startCodecRelay({ target: `http://${dialHost(config.host)}:${config.port}/codec`, authorization: `Bearer ${config.apiKeys[0]}` });
  stoppers.unshift(() => relay.close());
  const server = supervise(
    {
      name: 'temporal',
      command: cli,
      args: [
        'server', 'start-dev',
        '--ip', config.host ?? '127.0.0.1',
        '--port', String(config.temporal.devPort),
        '--ui-port', String(config.temporal.uiPort),
        '--ui-codec-endpoint', relay.url,
        '--namespace', config.temporal.namespace,
        '--db-filename', resolve(config.dataDir, 'temporal.sqlite'),
        ...searchAttributeArgs(),
        '--log-level', 'warn',
      ],
      restart: true,
    },
    log,
  );
  stoppers.unshift(() => server.stop());
  await waitForPort(config.temporal.devPort, dialHost(config.host), 60_000);
}

async function startProductionServer(config: AppConfig, databaseUrl: string, stoppers: Stopper[]): Promise<void> {
  if (!config.temporal.managed) return log(`using Temporal at ${config.temporal.address}`);
  const server = await startTemporalServer({ adminDatabaseUrl: databaseUrl, frontendPort: config.temporal.devPort, namespace: config.temporal.namespace, provision: provisionOptionsFromEnv(process.env), log });
  stoppers.unshift(() => server.stop());
}

async function startDatabase(config: AppConfig, stoppers: Stopper[], maxConnections?: number): Promise<string> {
  if (config.databaseUrl) return config.databaseUrl;
  const pg = await startEmbeddedPostgres({ dataDir: resolve(config.dataDir, 'postgres'), port: config.embeddedPgPort, log, maxConnections });
  stoppers.unshift(() => pg.stop());
  return pg.connectionString;
}

/** PostgreSQL and Temporal; resolves with the app's database URL. */
async function startInfrastructure(config: AppConfig, layout: Layout, stoppers: Stopper[]): Promise<string> {
  if (layout.topology === 'dev') {
    const [databaseUrl] = await Promise.all([startDatabase(config, stoppers), startDevServer(config, stoppers)]);
    return databaseUrl;
  }
  // The production server keeps its state in the same PostgreSQL, so the database comes first.
  const databaseUrl = await startDatabase(config, stoppers, SHARED_POSTGRES_MAX_CONNECTIONS);
  await startProductionServer(config, databaseUrl, stoppers);
  return databaseUrl;
}

function childEnv(config: AppConfig, source: NodeJS.ProcessEnv, databaseUrl: string): NodeJS.ProcessEnv {
  return {
    ...SERVICE_ENV_DEFAULTS,
    ...source,
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: config.temporal.address,
    SIMULATOR_API_KEY: process.env.SIMULATOR_API_KEY ?? SIMULATOR_KEY,
    // Children write to a pipe; they print for a person when the supervisor does.
    LOG_FORMAT: process.env.LOG_FORMAT ?? (process.stdout.isTTY ? 'pretty' : 'json'),
  };
}

function startNodeChild(config: AppConfig, name: string, entry: string, env: NodeJS.ProcessEnv, onRefused: () => void): Supervised {
  const pidFile = resolve(config.dataDir, 'pids', `${name}.pid`);
  return supervise({ name, command: process.execPath, args: ['--import', 'tsx', resolve(__dirname, '..', entry)], env, restart: true, pidFile, onRefused }, log);
}

/** Keys from API_KEYS are the operator's secrets and are never printed; the development key may be. */
function printUrls(config: AppConfig, layout: Layout, source: NodeJS.ProcessEnv, payloadKey: string): void {
  const [port] = layout.apiPorts;
  const production = layout.topology === 'production';
  const lines = [
    `API          ${layout.apiPorts.map((p) => `http://localhost:${p}`).join(', ')}  (Authorization: Bearer ${source.API_KEYS === undefined ? config.apiKeys[0] : '<a key of API_KEYS>'})`,
    `Upload page  http://localhost:${port}/`,
    `HL7 MLLP     localhost:${config.mllp.port}  (TCP, MLLP framing)`,
    `Temporal     ${config.temporal.address}  (namespace ${config.temporal.namespace}${production ? ', Temporal server on PostgreSQL' : ''})`,
    production ? 'Web UI       none: the Temporal server serves none (docker-compose.yml runs temporalio/ui beside it)' : `Web UI       ${config.temporal.uiUrl}/namespaces/${config.temporal.namespace}/workflows`,
    `Simulator    http://127.0.0.1:${config.simulatorPort}/v1`,
    `Metrics      http://localhost:${port}/metrics (API), ${config.workerMetricsAddress ? `http://${config.workerMetricsAddress}/metrics (worker${layout.workers > 1 ? ' 1; the next ports for the others' : ''})` : 'worker metrics off'}`,
    `Payload key  ${payloadKey}`,
  ];
  log(`ready:\n  ${lines.join('\n  ')}`);
}

function layoutOrExit(argv: string[], config: AppConfig): Layout {
  try {
    return parseLayout(argv, config);
  } catch (err) {
    if (!(err instanceof LayoutUsageError)) throw err;
    console.error(err.message);
    process.exit(2);
  }
}

/** Runs until Ctrl-C (SIGINT) or SIGTERM, then stops every part in reverse order. */
export async function runLocalStack(argv: string[]): Promise<void> {
  const source: NodeJS.ProcessEnv = { ...LOCAL_DEFAULTS, ...process.env };
  const config = loadConfig(source);
  const layout = layoutOrExit(argv, config);
  await refuseHeldPorts(config, layout);
  mkdirSync(config.dataDir, { recursive: true });
  // Production without PAYLOAD_KEYS has been refused by now; elsewhere the children read the made key from DATA_DIR.
  const payloadKey = source.PAYLOAD_KEYS === undefined ? devPayloadKey(config.dataDir) : `"${config.temporal.payloadKeys[0]?.id}" from PAYLOAD_KEYS`;
  const stoppers: Stopper[] = [];
  let stopping = false;
  const stopAll = async (code = 0) => {
    if (stopping) return;
    stopping = true;
    log('stopping…');
    for (const stop of stoppers) await stop().catch((err: unknown) => log(`stop failed: ${String(err)}`));
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll());
  process.on('SIGTERM', () => void stopAll());

  const databaseUrl = await startInfrastructure(config, layout, stoppers);
  await applyMigrations(databaseUrl, log);
  if (config.simulatedProviders) {
    const simulator = await startSimulator({ port: config.simulatorPort, host: config.host });
    stoppers.unshift(() => simulator.close());
  }
  // A system with a part that cannot run is not ready, and waiting would not make it so.
  const refused = () => void stopAll(EXIT_CONFIGURATION);
  const children = childPlans(layout, config, childEnv(config, source, databaseUrl)).map((child) => startNodeChild(config, child.name, child.entry, child.env, refused));
  stoppers.unshift(...children.map((c) => () => c.stop()));
  await Promise.all([
    ...layout.apiPorts.map((port) => waitForPort(port, dialHost(config.host), 60_000, '/healthz')),
    waitForPort(config.mllp.port, dialHost(config.host), 60_000),
  ]);
  printUrls(config, layout, source, payloadKey);
}

function devPayloadKey(dataDir: string): string {
  const { file, created } = ensureDevPayloadKey(dataDir);
  return `${file} (development key${created ? ', made now' : ''}; PAYLOAD_KEYS replaces it)`;
}

