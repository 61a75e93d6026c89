/**
 * `npm start`: the whole system on embedded defaults under one supervisor. It provisions the
 * Temporal CLI, runs the dev server (Web UI, SQLite in .data/ so state survives restarts),
 * embedded PostgreSQL with migrations, the provider simulator, the worker, the API and the MLLP
 * listener; it restarts a worker, API or listener that dies and stops everything cleanly on Ctrl-C.
 * It runs in development unless NODE_ENV says otherwise, on loopback unless HOST says otherwise, and
 * without PAYLOAD_KEYS on a development key it makes once in DATA_DIR.
 */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig, type AppConfig } from '../config';
import { RECORD_SEARCH_ATTRIBUTES } from '../contract';
import { startEmbeddedPostgres } from './postgres';
import { applyMigrations } from './migrations';
import { startSimulator } from './simulator';
import { startCodecRelay } from './codec-relay';
import { ensureDevPayloadKey } from './payload-keys';
import { SERVICE_ENV_DEFAULTS, supervise, waitForPort, type Supervised } from './processes';
import { ensureTemporalCli, provisionOptionsFromEnv } from './provision';

const log = (line: string) => console.log(`[start] ${line}`);
const SIMULATOR_KEY = 'local-simulator';

/** What the children and the supervisor run with: the caller's environment over these defaults. */
const LOCAL_DEFAULTS = { NODE_ENV: 'development', HOST: '127.0.0.1' };

type Stopper = () => Promise<void>;

/** Where the supervisor itself reaches a listener bound to `host`. */
const dialHost = (host: string | undefined): string => (host === undefined || host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host);

/** The dev server's Web UI decodes payloads through the API's codec endpoint, by way of the relay. */
async function startTemporal(config: AppConfig, stoppers: Stopper[]): Promise<void> {
  if (!config.temporal.managed) return log(`using Temporal at ${config.temporal.address}`);
  const cli = await ensureTemporalCli(log, provisionOptionsFromEnv(process.env));
  const [, port = '7233'] = config.temporal.address.split(':');
  const relay = await startCodecRelay({ target: `http://${dialHost(config.host)}:${config.port}/codec`, authorization: `Bearer ${config.apiKeys[0]}` });
  stoppers.unshift(() => relay.close());
  const server = supervise(
    {
      name: 'temporal',
      command: cli,
      args: [
        'server', 'start-dev',
        '--ip', config.host ?? '127.0.0.1',
        '--port', port,
        '--ui-port', String(config.temporal.uiPort),
        '--ui-codec-endpoint', relay.url,
        '--namespace', config.temporal.namespace,
        '--db-filename', resolve(config.dataDir, 'temporal.sqlite'),
        ...RECORD_SEARCH_ATTRIBUTES.flatMap((key) => ['--search-attribute', `${key.name}=Keyword`]),
        '--log-level', 'warn',
      ],
      restart: true,
    },
    log,
  );
  stoppers.unshift(() => server.stop());
  await waitForPort(Number(port), dialHost(config.host), 60_000);
}

async function startDatabase(config: AppConfig, stoppers: Stopper[]): Promise<string> {
  if (config.databaseUrl) return config.databaseUrl;
  const pg = await startEmbeddedPostgres({ dataDir: resolve(config.dataDir, 'postgres'), port: config.embeddedPgPort, log });
  stoppers.unshift(() => pg.stop());
  return pg.connectionString;
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

function startNodeChild(config: AppConfig, name: string, entry: string, env: NodeJS.ProcessEnv): Supervised {
  const pidFile = resolve(config.dataDir, 'pids', `${name}.pid`);
  return supervise({ name, command: process.execPath, args: ['--import', 'tsx', resolve(__dirname, '..', entry)], env, restart: true, pidFile }, log);
}

/** Keys from API_KEYS are the operator's secrets and are never printed; the development key may be. */
function printUrls(config: AppConfig, source: NodeJS.ProcessEnv, payloadKey: string): void {
  const lines = [
    `API          http://localhost:${config.port}  (Authorization: Bearer ${source.API_KEYS === undefined ? config.apiKeys[0] : '<a key of API_KEYS>'})`,
    `Upload page  http://localhost:${config.port}/`,
    `HL7 MLLP     localhost:${config.mllp.port}  (TCP, MLLP framing)`,
    `Temporal     ${config.temporal.address}  (namespace ${config.temporal.namespace})`,
    `Web UI       ${config.temporal.uiUrl}/namespaces/${config.temporal.namespace}/workflows`,
    `Simulator    http://127.0.0.1:${config.simulatorPort}/v1`,
    `Metrics      http://localhost:${config.port}/metrics (API), ${config.workerMetricsAddress ? `http://${config.workerMetricsAddress}/metrics (worker)` : 'worker metrics off'}`,
    `Payload key  ${payloadKey}`,
  ];
  log(`ready:\n  ${lines.join('\n  ')}`);
}

/** Runs until Ctrl-C (SIGINT) or SIGTERM, then stops every part in reverse order. */
export async function runLocalStack(): Promise<void> {
  const source: NodeJS.ProcessEnv = { ...LOCAL_DEFAULTS, ...process.env };
  const config = loadConfig(source);
  mkdirSync(config.dataDir, { recursive: true });
  // Production without PAYLOAD_KEYS has been refused by now; elsewhere the children read the made key from DATA_DIR.
  const payloadKey = source.PAYLOAD_KEYS === undefined ? devPayloadKey(config.dataDir) : `"${config.temporal.payloadKeys[0]?.id}" from PAYLOAD_KEYS`;
  const stoppers: Stopper[] = [];
  let stopping = false;
  const stopAll = async () => {
    if (stopping) return;
    stopping = true;
    log('stopping…');
    for (const stop of stoppers) await stop().catch((err: unknown) => log(`stop failed: ${String(err)}`));
    process.exit(0);
  };
  process.on('SIGINT', () => void stopAll());
  process.on('SIGTERM', () => void stopAll());

  const [databaseUrl] = await Promise.all([startDatabase(config, stoppers), startTemporal(config, stoppers)]);
  await applyMigrations(databaseUrl, log);
  if (config.simulatedProviders) {
    const simulator = await startSimulator({ port: config.simulatorPort, host: config.host });
    stoppers.unshift(() => simulator.close());
  }
  const env = childEnv(config, source, databaseUrl);
  const children = [
    startNodeChild(config, 'worker', 'bin/worker.ts', env),
    startNodeChild(config, 'api', 'bin/api.ts', env),
    startNodeChild(config, 'mllp', 'bin/mllp.ts', env),
  ];
  stoppers.unshift(...children.map((c) => () => c.stop()));
  await Promise.all([waitForPort(config.port, dialHost(config.host), 60_000), waitForPort(config.mllp.port, dialHost(config.host), 60_000)]);
  printUrls(config, source, payloadKey);
}

function devPayloadKey(dataDir: string): string {
  const { file, created } = ensureDevPayloadKey(dataDir);
  return `${file} (development key${created ? ', made now' : ''}; PAYLOAD_KEYS replaces it)`;
}

