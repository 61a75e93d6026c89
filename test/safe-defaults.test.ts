/**
 * Safe defaults: NODE_ENV unset means production, and production refuses to run without API and
 * payload keys, with the development key, or with fault injection. PAYLOAD_KEYS errors name the
 * pair or the key id, never the key. A bare `bin/api.ts` behaves accordingly.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { ConfigError, DEV_API_KEY, loadConfig } from '../config';
import { ensureDevPayloadKey, newPayloadKey, payloadKeysSetting } from '../dev/payload-keys';
import { freePort, waitForPort } from '../dev/processes';
import { runToExit } from './support/product-processes';
import { requiredEnv, startTemporal } from './support/stack';

const KEYS = payloadKeysSetting([newPayloadKey('prod-1')]);
// The API holds the providers' keys too: GET /health/inference sends them a canary.
const PRODUCTION = { API_KEYS: 'prod-api-key', PAYLOAD_KEYS: KEYS, SIMULATOR_API_KEY: 'prod-provider-key' };

describe('configuration', () => {
  it('treats an unset NODE_ENV as production: no development key, no fault injection, keys required', () => {
    expect(() => loadConfig({})).toThrow(new ConfigError('API_KEYS and PAYLOAD_KEYS are required when NODE_ENV=production (unset NODE_ENV means production)'));
    expect(() => loadConfig({ API_KEYS: 'k' })).toThrow('PAYLOAD_KEYS is required');
    const config = loadConfig(PRODUCTION);
    expect(config).toMatchObject({ env: 'production', apiKeys: ['prod-api-key'], faultInjection: false });
    expect(config.temporal.payloadKeys.map((k) => k.id)).toEqual(['prod-1']);
  });

  it('refuses the development key and fault injection in production', () => {
    expect(() => loadConfig({ ...PRODUCTION, API_KEYS: `a,${DEV_API_KEY}` })).toThrow(`API_KEYS holds the development key "${DEV_API_KEY}"`);
    expect(() => loadConfig({ ...PRODUCTION, FAULT_INJECTION: 'enabled' })).toThrow('FAULT_INJECTION=enabled is refused when NODE_ENV=production');
    expect(loadConfig({ ...PRODUCTION, NODE_ENV: 'development', FAULT_INJECTION: 'enabled' }).faultInjection).toBe(true);
  });

  const secret = Buffer.alloc(16, 9).toString('base64');
  it.each([
    ['a pair without an id', `:${Buffer.alloc(32).toString('base64')}`, 'pair 1 is not id:base64key'],
    ['a pair without a colon', 'k1', 'pair 1 is not id:base64key'],
    ['a key that is not base64', 'k1:not*base64', 'key "k1" is not base64'],
    ['a key of 16 bytes', `k1:${secret}`, 'key "k1" is 16 bytes; AES-256 needs 32'],
    ['a duplicate id', `${KEYS},${KEYS}`, 'key id "prod-1" appears twice'],
    ['nothing but commas', ' , ', 'no id:base64key pair'],
  ])('refuses PAYLOAD_KEYS with %s, naming it without the key', (_name, value, message) => {
    let error: unknown;
    try {
      loadConfig({ ...PRODUCTION, PAYLOAD_KEYS: value });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain(`PAYLOAD_KEYS: ${message}`);
    expect((error as Error).message).not.toContain(secret);
  });

  it('uses the development key npm start made in DATA_DIR, owner-only, made once', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'payload-keys-'));
    try {
      const dev = { NODE_ENV: 'development', DATA_DIR: dir };
      expect(loadConfig(dev).temporal.payloadKeys).toEqual([]);
      const made = ensureDevPayloadKey(dir);
      expect(made.created).toBe(true);
      expect(statSync(made.file).mode & 0o777).toBe(0o600);
      const content = readFileSync(made.file, 'utf8');
      expect(ensureDevPayloadKey(dir)).toEqual({ file: made.file, created: false });
      expect(readFileSync(made.file, 'utf8')).toBe(content);
      const [key] = loadConfig(dev).temporal.payloadKeys;
      expect(`${key?.id}:${key?.key.toString('base64')}`).toBe(content.trim());
      // Production never falls back to it.
      expect(() => loadConfig({ API_KEYS: 'k', DATA_DIR: dir })).toThrow('PAYLOAD_KEYS is required');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('bin/api.ts started with a bare environment', () => {
  let env: TestWorkflowEnvironment;
  let api: ChildProcess | undefined;
  beforeAll(async () => {
    env = await startTemporal();
  });
  afterAll(async () => {
    if (api && api.exitCode === null) {
      const exited = new Promise((resolve) => api?.once('exit', resolve));
      api.kill('SIGTERM');
      await exited;
    }
    await env?.teardown();
  });

  const bare = () => ({ PATH: process.env.PATH, DATABASE_URL: requiredEnv('DATABASE_URL'), TEMPORAL_ADDRESS: env.address });
  const start = (extra: Record<string, string>) =>
    spawn(process.execPath, ['--import', 'tsx', path.resolve(__dirname, '../bin/api.ts')], { env: { ...bare(), ...extra }, stdio: ['ignore', 'pipe', 'pipe'] });

  it('refuses to start without keys, naming both', async () => {
    expect(await runToExit('api', bare())).toEqual({
      code: 78,
      stderr: 'configuration error: API_KEYS and PAYLOAD_KEYS are required when NODE_ENV=production (unset NODE_ENV means production)',
    });
  });

  it('refuses a PROVIDERS it cannot use in one line naming the setting, with the exit code a supervisor does not restart', async () => {
    const refusal = (extra: Record<string, string>) => runToExit('api', { ...bare(), NODE_ENV: 'development', ...extra });
    const unreadable = await refusal({ PROVIDERS: '[{"name": "primary"' });
    expect(unreadable).toEqual({ code: 78, stderr: expect.stringMatching(/^configuration error: PROVIDERS is not valid JSON: [^\n]+$/) });
    const provider = { name: 'primary', kind: 'openai', baseURL: 'http://127.0.0.1:1/v1', model: 'sim-primary-2026-11-01', apiKeyEnv: 'NO_SUCH_KEY' };
    expect(await refusal({ PROVIDERS: JSON.stringify([provider]) })).toEqual({
      code: 78,
      stderr: 'configuration error: missing API key: set the environment variable(s) NO_SUCH_KEY (named by apiKeyEnv in PROVIDERS)',
    });
  });

  it('with keys: refuses the development key and a fault plan, and serves no key on /ui-config', async () => {
    const port = await freePort();
    api = start({ ...PRODUCTION, PORT: String(port), LOG_LEVEL: 'warn' });
    await waitForPort(port, '127.0.0.1', 60_000);
    const base = `http://127.0.0.1:${port}`;
    const post = (key: string, body: unknown) =>
      fetch(`${base}/v1/records`, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    expect((await post(DEV_API_KEY, { id: 'bare-dev-key', input: { text: 'x' } })).status).toBe(401);
    const simulated = await post('prod-api-key', { id: 'bare-simulate', input: { text: 'x' }, simulate: { faults: [{ step: 'charge', when: 'before', times: 1 }] } });
    expect({ status: simulated.status, body: await simulated.json() }).toMatchObject({ status: 400, body: { detail: expect.stringContaining('fault injection is disabled') } });
    expect(Object.keys((await (await fetch(`${base}/ui-config`)).json()) as object).sort()).toEqual(['namespace', 'temporalUiUrl', 'uploadLimitBytes']);
  });
});
