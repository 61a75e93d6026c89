/**
 * The production topology (docker-compose.yml, Dockerfile) checked by Docker Compose itself, with
 * no engine: `docker compose config` parses, interpolates and schema-validates the file and
 * resolves env_file, which yields the exact environment each container would get. That
 * environment, over the image's own ENV, must pass the app's configuration schema.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { loadConfig } from '../config';
import { RECORD_SEARCH_ATTRIBUTES } from '../contract';
import { createProviderClients } from '../providers/registry';
import { DYNAMIC_CONFIG_FILE, SERVER_CONFIG_FILE } from '../dev/topology/temporal-server';
import { ensureDockerCompose } from './support/compose';
import { requiredEnv } from './support/stack';

const ROOT = path.resolve(__dirname, '..');
const COMPOSE_FILE = readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8');
const ENV_EXAMPLE = readFileSync(path.join(ROOT, '.env.example'), 'utf8');
const APP_SERVICES = ['api', 'mllp', 'worker'] as const;

interface Service {
  environment?: Record<string, string>;
  configs?: Array<{ source: string; target: string }>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string; required: boolean }>;
  ports?: Array<{ target: number; published: string; host_ip?: string }>;
  container_name?: string;
  command?: string[];
  entrypoint?: string[];
  image?: string;
  profiles?: string[];
  build?: { target?: string };
  cpu_shares?: number;
}
interface Model {
  services: Record<string, Service>;
  configs?: Record<string, { file?: string }>;
}
type Outcome = { ok: true; model: Model } | { ok: false; error: string };

let compose: string;
const scratch: string[] = [];

beforeAll(async () => {
  compose = await ensureDockerCompose();
}, 300_000);

afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

/** `docker compose config` on a project folder holding the given compose file and .env. */
async function resolveCompose(composeFile: string, dotEnv: string): Promise<Outcome> {
  const dir = mkdtempSync(path.join(tmpdir(), 'compose-test-'));
  scratch.push(dir);
  writeFileSync(path.join(dir, 'docker-compose.yml'), composeFile);
  writeFileSync(path.join(dir, '.env'), dotEnv);
  // Nothing from this shell: compose would let its variables win over .env.
  const env = { PATH: process.env.PATH ?? '', HOME: dir, DOCKER_CONFIG: dir };
  return new Promise((resolve) => {
    execFile(compose, ['config', '--format', 'json'], { cwd: dir, env }, (err, stdout, stderr) =>
      resolve(err ? { ok: false, error: stderr || err.message } : { ok: true, model: JSON.parse(stdout) as Model }),
    );
  });
}

async function resolved(composeFile = COMPOSE_FILE, dotEnv = ENV_EXAMPLE): Promise<Model> {
  const outcome = await resolveCompose(composeFile, dotEnv);
  if (!outcome.ok) throw new Error(`docker compose config failed:\n${outcome.error}`);
  return outcome.model;
}

async function rejection(composeFile: string, dotEnv = ENV_EXAMPLE): Promise<string> {
  const outcome = await resolveCompose(composeFile, dotEnv);
  if (outcome.ok) throw new Error('docker compose config accepted a file it should have refused');
  return outcome.error;
}

/** The runtime stage's ENV: what a container has before compose adds its own environment. */
function imageEnv(): Record<string, string> {
  const instructions = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim());
  const runtime = instructions.slice(instructions.map((line) => line.startsWith('FROM ')).lastIndexOf(true));
  const pairs = runtime.filter((line) => line.startsWith('ENV ')).flatMap((line) => line.slice(4).trim().split(/\s+/));
  return Object.fromEntries(pairs.map((pair) => pair.split('=') as [string, string]));
}

const withoutLine = (text: string, prefix: string) =>
  text
    .split('\n')
    .filter((line) => !line.startsWith(prefix))
    .join('\n');

describe('docker-compose.yml', () => {
  it('is a valid compose file with the production topology', async () => {
    const { services } = await resolved();
    expect(Object.keys(services).sort()).toEqual(
      ['api', 'migrate', 'mllp', 'postgres', 'temporal', 'temporal-schema', 'temporal-setup', 'temporal-ui', 'worker'],
    );
    for (const name of ['postgres', 'temporal', 'temporal-ui', ...APP_SERVICES]) {
      expect({ name, healthcheck: services[name]?.healthcheck?.test.length }).toEqual({ name, healthcheck: expect.any(Number) });
    }
    expect(services.postgres?.healthcheck?.test).toContain('pg_isready');
    expect(services.api?.healthcheck?.test.join(' ')).toContain('/readyz');
    expect(services.worker?.healthcheck?.test).toContain('dist/bin/worker-health.js');
    expect(services.temporal?.image).toMatch(/^temporalio\/server:/);
    expect(services['temporal-schema']?.command?.join(' ')).toContain('temporal-sql-tool');
  });

  it('gives a worker a quarter of the CPU weight of the processes that answer callers', async () => {
    const { services } = await resolved();
    expect(APP_SERVICES.map((name) => [name, services[name]?.cpu_shares])).toEqual([['api', undefined], ['mllp', undefined], ['worker', 256]]);
  });

  it('ships the Temporal server and UI that the tests run against', async () => {
    const { stdout } = await promisify(execFile)(requiredEnv('TEST_TEMPORAL_CLI'), ['--version']);
    const [, server, ui] = /Server (\S+), UI ([^)\s]+)/.exec(stdout) ?? [];
    const { services } = await resolved();
    expect([services.temporal?.image, services['temporal-schema']?.image, services['temporal-setup']?.image, services['temporal-ui']?.image]).toEqual([
      `temporalio/server:${server}`,
      `temporalio/admin-tools:${server}`,
      `temporalio/admin-tools:${server}`,
      `temporalio/ui:${ui}`,
    ]);
  });

  it('runs the Temporal server with the committed configuration that the production topology runs it with', async () => {
    const model = await resolved();
    const temporal = model.services.temporal;
    expect(temporal?.command).toEqual(['temporal-server', '--config-file', '/etc/temporal/config/server.yaml', '--allow-no-auth', 'start']);
    // Resolved against the folder compose ran in: the same path below it as below this repository.
    const mounted = Object.fromEntries((temporal?.configs ?? []).map((c) => [c.target, model.configs?.[c.source]?.file]));
    expect(mounted).toEqual({
      '/etc/temporal/config/server.yaml': expect.stringMatching(new RegExp(`/${path.relative(ROOT, SERVER_CONFIG_FILE)}$`)),
      '/etc/temporal/config/dynamicconfig.yaml': expect.stringMatching(new RegExp(`/${path.relative(ROOT, DYNAMIC_CONFIG_FILE)}$`)),
    });
    expect(temporal?.environment?.DYNAMIC_CONFIG_FILE_PATH).toBe('/etc/temporal/config/dynamicconfig.yaml');
    // Every variable compose sets is one the file reads (a misspelt one would be silently ignored).
    const serverConfig = readFileSync(SERVER_CONFIG_FILE, 'utf8');
    for (const name of Object.keys(temporal?.environment ?? {})) expect({ name, read: serverConfig.includes(`env "${name}"`) }).toEqual({ name, read: true });
    expect(model.services['temporal-schema']?.command?.join(' ')).toMatch(/update-schema --schema-name/);
  });

  it('runs migrations and the Temporal setup to completion before the app starts', async () => {
    const { services } = await resolved();
    expect(services.migrate?.command).toEqual(['npm', 'run', 'db:migrate']);
    for (const name of APP_SERVICES) {
      expect(services[name]?.depends_on).toMatchObject({
        migrate: { condition: 'service_completed_successfully', required: true },
        'temporal-setup': { condition: 'service_completed_successfully' },
      });
    }
    const setup = services['temporal-setup']?.command?.join(' ') ?? '';
    expect(setup).toContain('temporal operator cluster health');
    for (const key of RECORD_SEARCH_ATTRIBUTES) expect(setup).toContain(`attribute ${key.name}`);
  });

  it('lets the worker scale: no container name, no published port', async () => {
    const { services } = await resolved();
    expect(services.worker?.container_name).toBeUndefined();
    expect(services.worker?.ports).toBeUndefined();
    // Every published port names its interface: the API and MLLP on loopback unless API_HOST_IP / MLLP_HOST_IP open them.
    expect(services.api?.ports?.map((p) => [p.host_ip, p.target])).toEqual([['127.0.0.1', 3000]]);
    expect(services.mllp?.ports?.map((p) => [p.host_ip, p.target])).toEqual([['127.0.0.1', 2575]]);
    // The Temporal frontend and UI have no authentication of their own here: loopback only.
    for (const name of ['temporal', 'temporal-ui']) expect(services[name]?.ports?.map((p) => p.host_ip)).toEqual(['127.0.0.1']);
  });

  it('publishes the api and MLLP on loopback unless .env opens them deliberately', async () => {
    const closed = await resolved();
    expect(['api', 'mllp'].map((name) => closed.services[name]?.ports?.map((p) => p.host_ip))).toEqual([['127.0.0.1'], ['127.0.0.1']]);
    const open = await resolved(COMPOSE_FILE, `${ENV_EXAMPLE}\nMLLP_HOST_IP=0.0.0.0\n`);
    expect(['api', 'mllp'].map((name) => open.services[name]?.ports?.map((p) => p.host_ip))).toEqual([['127.0.0.1'], ['0.0.0.0']]);
  });

  it('runs compiled JavaScript from the runtime stage, and migrations from the migrate stage', async () => {
    const { services } = await resolved();
    for (const name of APP_SERVICES) {
      expect({ name, target: services[name]?.build?.target }).toEqual({ name, target: 'runtime' });
      expect(services[name]?.command).toEqual(['node', `dist/bin/${name}.js`]);
    }
    expect(services.migrate?.build?.target).toBe('migrate');
    const stages = [...readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8').matchAll(/^FROM \S+ AS (\S+)$/gm)].map((m) => m[1]);
    expect(stages).toEqual(expect.arrayContaining(['runtime', 'migrate']));
    expect(stages.at(-1)).toBe('runtime');
  });

  it('fails on a broken file: an unknown key, a dependency on a missing service, invalid YAML', async () => {
    const misspelt = COMPOSE_FILE.replace('    stop_grace_period: 30s', '    stop_grace_periode: 30s');
    expect(misspelt).not.toBe(COMPOSE_FILE);
    expect(await rejection(misspelt)).toMatch(/additional propert(y|ies) 'stop_grace_periode' not allowed/);

    const dangling = COMPOSE_FILE.replace('  migrate:\n    condition: service_completed_successfully', '  migrations:\n    condition: service_completed_successfully');
    expect(dangling).not.toBe(COMPOSE_FILE);
    expect(await rejection(dangling)).toMatch(/migrations/);

    expect(await rejection(COMPOSE_FILE.replace('services:\n', 'services:\n  - broken\n'))).toMatch(/yaml|services/i);
  });

  it('refuses to resolve without the secrets in .env', async () => {
    for (const secret of ['API_KEYS', 'PAYLOAD_KEYS', 'PROVIDERS', 'APP_DB_PASSWORD', 'POSTGRES_PASSWORD', 'TEMPORAL_DB_PASSWORD']) {
      expect(await rejection(COMPOSE_FILE, withoutLine(ENV_EXAMPLE, `${secret}=`))).toContain(`set ${secret} in .env`);
    }
  });
});

describe('the environment compose gives the app', () => {
  it('passes the configuration schema: production, no fault injection, API and payload keys, providers, Temporal', async () => {
    const { services } = await resolved();
    for (const name of APP_SERVICES) {
      const env = { ...imageEnv(), ...services[name]?.environment };
      expect({ name, NODE_ENV: env.NODE_ENV, FAULT_INJECTION: env.FAULT_INJECTION }).toEqual({ name, NODE_ENV: 'production', FAULT_INJECTION: 'disabled' });
      const config = loadConfig(env);
      expect(config).toMatchObject({ env: 'production', faultInjection: false, apiKeys: ['change-me-key-1'], simulatedProviders: false });
      expect(config.temporal.payloadKeys.map((k) => k.id)).toEqual(['key-1']);
      expect(new URL(config.databaseUrl ?? '').host).toBe('postgres:5432');
      expect(config.temporal).toMatchObject({ address: 'temporal:7233', namespace: 'default', managed: false, tls: false });
      expect(config.providers.map((p) => p.name)).toEqual(['openai', 'anthropic']);
      // Every apiKeyEnv that PROVIDERS names is set, or the worker would refuse to start.
      expect(() => createProviderClients(config.providers, env)).not.toThrow();
    }
    const worker = loadConfig({ ...imageEnv(), ...services.worker?.environment });
    expect(worker.workflowBundlePath).toBe('/app/dist/workflow-bundle.js');
    expect(worker.workerMetricsAddress).toBe('0.0.0.0:9464');
  });

  it('builds the workflow bundle where the image tells the worker to find it', () => {
    const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
    const out = /bundle-workflows\.js (\S+)/.exec(dockerfile)?.[1];
    const workdir = /^WORKDIR (\S+)$/m.exec(dockerfile)?.[1];
    expect(path.posix.join(workdir ?? '', out ?? '')).toBe(imageEnv().WORKFLOW_BUNDLE_PATH);
  });

  it('keeps production settings even when .env tries to override them', async () => {
    const { services } = await resolved(COMPOSE_FILE, `${ENV_EXAMPLE}\nFAULT_INJECTION=enabled\nNODE_ENV=development\n`);
    const config = loadConfig({ ...imageEnv(), ...services.api?.environment });
    expect({ env: config.env, faultInjection: config.faultInjection }).toEqual({ env: 'production', faultInjection: false });
  });

  it('runs against Temporal Cloud without the temporal profile', async () => {
    const cloud = [
      withoutLine(ENV_EXAMPLE, 'COMPOSE_PROFILES='),
      'TEMPORAL_ADDRESS=example-ns.a1b2c.tmprl.cloud:7233',
      'TEMPORAL_NAMESPACE=example-ns.a1b2c',
      'TEMPORAL_API_KEY=cloud-key',
    ].join('\n');
    const { services } = await resolved(COMPOSE_FILE, cloud);
    expect(Object.keys(services).sort()).toEqual(['api', 'migrate', 'mllp', 'postgres', 'worker']);
    const config = loadConfig({ ...imageEnv(), ...services.worker?.environment });
    expect(config.temporal).toMatchObject({ address: 'example-ns.a1b2c.tmprl.cloud:7233', namespace: 'example-ns.a1b2c', apiKey: 'cloud-key', tls: {} });
  });
});
