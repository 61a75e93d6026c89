/**
 * `npm start` as a newcomer runs it: the supervisor brings up the whole system on embedded
 * defaults (here on free ports and a fresh data folder), in development, on loopback, with a
 * development payload key made once in the data folder; a posted record shows up in the Temporal
 * Web UI as `record-<id>` with its payloads decrypted through the API's codec endpoint, and after
 * Ctrl-C and a second start (with API_KEYS, which it does not print) the record and its workflow
 * are still there.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { chromium } from 'playwright-core';
import { loadConfig } from '../config';
import { CHROMIUM_ARGS, ensureChromium } from '../dev/browser';
import { freePort } from '../dev/processes';
import { payloadDataConverter } from '../temporal/client';

const ROOT = resolve(__dirname, '..');
const ARTIFACTS = join(ROOT, 'test', 'artifacts');

interface Running {
  child: ChildProcess;
  output: () => string;
}

function spawnStart(env: NodeJS.ProcessEnv): Running {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'dev/bin/start.ts')], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return { child, output: () => output };
}

async function npmStart(env: NodeJS.ProcessEnv): Promise<Running> {
  const started = spawnStart(env);
  const { child } = started;
  await new Promise<void>((resolveReady, reject) => {
    const timer = setTimeout(() => reject(new Error(`npm start printed no ready line in 180 s:\n${started.output()}`)), 180_000);
    const check = () => {
      if (started.output().includes('[start] ready:')) {
        clearTimeout(timer);
        resolveReady();
      }
    };
    child.stdout?.on('data', check);
    child.once('exit', (code) => reject(new Error(`npm start exited with ${code}:\n${started.output()}`)));
  });
  return started;
}

async function ctrlC({ child }: Running): Promise<number | null> {
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGINT');
  return exited;
}

async function untilCompleted(api: string, id: string, key = 'dev-key'): Promise<any> {
  for (let i = 0; i < 600; i++) {
    const res = await fetch(`${api}/v1/records/${id}`, { headers: { authorization: `Bearer ${key}` } });
    const body = (await res.json()) as any;
    if (body.status === 'completed') return body;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`record ${id} did not complete`);
}

/** An address of this machine other than loopback, where nothing of `npm start` may answer. */
function outsideAddress(): string {
  const address = Object.values(networkInterfaces()).flat().find((a) => a && a.family === 'IPv4' && !a.internal)?.address;
  if (!address) throw new Error('this machine has no non-loopback IPv4 address to check the bindings against');
  return address;
}

const accepts = (host: string, port: number) =>
  new Promise<boolean>((done) => {
    const socket = connect({ host, port }, () => {
      socket.end();
      done(true);
    });
    socket.once('error', () => done(false));
  });

/** A newcomer's machine: every port `npm start` takes free, and a fresh data folder. */
/** Binding the port succeeds: nothing listens on it any more. */
async function expectFree(port: number): Promise<void> {
  const server = createServer();
  await new Promise<void>((listening, failed) => {
    server.once('error', failed);
    server.listen(port, '127.0.0.1', listening);
  });
  await new Promise((closed) => server.close(closed));
}

async function freshMachine() {
  const dataDir = mkdtempSync(join(tmpdir(), 'durable-inference-start-'));
  const [port, temporalPort, uiPort, pgPort, simulatorPort, mllpPort, workerMetricsPort] = await Promise.all(Array.from({ length: 7 }, freePort));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    DATA_DIR: dataDir,
    PORT: String(port),
    TEMPORAL_DEV_PORT: String(temporalPort),
    TEMPORAL_UI_PORT: String(uiPort),
    EMBEDDED_PG_PORT: String(pgPort),
    SIMULATOR_PORT: String(simulatorPort),
    MLLP_PORT: String(mllpPort),
    WORKER_METRICS_ADDRESS: `127.0.0.1:${workerMetricsPort}`,
    TEMPORAL_CLI_PATH: process.env.TEST_TEMPORAL_CLI,
  };
  return { dataDir, env, ports: { port, temporalPort, uiPort, pgPort, simulatorPort, mllpPort, workerMetricsPort } };
}

it('runs the whole system, shows the workflow in the Web UI decrypted, and keeps it across a restart', async () => {
  const { dataDir, env, ports } = await freshMachine();
  const { port, temporalPort, uiPort, simulatorPort, mllpPort, workerMetricsPort } = ports;
  const api = `http://localhost:${port}`;
  const id = `start-${Date.now()}`;

  const first = await npmStart(env);
  try {
    expect(first.output()).toContain(`http://localhost:${port}`);
    expect(first.output()).toContain(`http://localhost:${uiPort}`);
    expect(first.output()).toContain('(Authorization: Bearer dev-key)');
    expect(statSync(join(dataDir, 'payload-keys')).mode & 0o777).toBe(0o600);
    const outside = outsideAddress();
    for (const listener of [port, mllpPort, temporalPort, uiPort, simulatorPort]) expect({ listener, outside: await accepts(outside, Number(listener)) }).toEqual({ listener, outside: false });
    expect((await fetch(`${api}/readyz`)).status).toBe(200);
    const posted = await fetch(`${api}/v1/records`, {
      method: 'POST',
      headers: { authorization: 'Bearer dev-key', 'content-type': 'application/json' },
      body: JSON.stringify({ id, input: { text: 'Started by npm start.' } }),
    });
    expect(posted.status).toBe(202);
    await untilCompleted(api, id);
    const appMetrics = await (await fetch(`${api}/metrics`)).text();
    expect(appMetrics).toMatch(/^records_total\{status="completed"\} 1$/m);
    const workerMetrics = await (await fetch(`http://127.0.0.1:${workerMetricsPort}/metrics`)).text();
    expect(workerMetrics).toMatch(/^model_call_latency_bucket\{.*provider="primary".*\} \d+/m);
    expect(workerMetrics).toContain('temporal_activity_execution_latency');

    const browser = await chromium.launch({ executablePath: ensureChromium(), args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      await page.goto(`http://localhost:${uiPort}/namespaces/default/workflows`);
      await page.getByText(`record-${id}`).first().waitFor({ timeout: 60_000 });
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: join(ARTIFACTS, 'web-ui-workflows.png'), fullPage: true });
      // The workflow's input and result, decrypted through the API's codec endpoint: ciphertext shows neither.
      await page.goto(`http://localhost:${uiPort}/namespaces/default/workflows/record-${id}`);
      await page.getByText('"account": "default"').first().waitFor({ timeout: 60_000 });
      await page.getByText('"status": "completed"').first().waitFor({ timeout: 10_000 });
      await page.screenshot({ path: join(ARTIFACTS, 'web-ui-decoded-payloads.png'), fullPage: true });
    } finally {
      await browser.close();
    }
  } finally {
    expect(await ctrlC(first)).toBe(0);
  }

  const payloadKey = readFileSync(join(dataDir, 'payload-keys'), 'utf8');
  const apiKey = `start-secret-${Date.now()}`;
  const second = await npmStart({ ...env, API_KEYS: apiKey });
  try {
    expect(second.output()).not.toContain(apiKey);
    expect(readFileSync(join(dataDir, 'payload-keys'), 'utf8')).toBe(payloadKey);
    const kept = await untilCompleted(api, id, apiKey);
    expect(kept.charge).toMatchObject({ idempotencyKey: `charge-${id}` });
    const again = await fetch(`${api}/v1/records`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body: JSON.stringify({ id, input: { text: 'Started by npm start.' } }),
    });
    expect(await again.json()).toMatchObject({ duplicate: true, status: 'completed' });
    // Temporal kept the closed workflow too: its SQLite file lives in DATA_DIR.
    const connection = await Connection.connect({ address: `localhost:${temporalPort}` });
    try {
      // With the development key that the processes found in DATA_DIR.
      const { payloadKeys } = loadConfig({ NODE_ENV: 'development', DATA_DIR: dataDir }).temporal;
      const client = new Client({ connection, dataConverter: payloadDataConverter(payloadKeys) });
      const described = await client.workflow.getHandle(`record-${id}`).describe();
      expect(described.status.name).toBe('COMPLETED');
    } finally {
      await connection.close();
    }
  } finally {
    expect(await ctrlC(second)).toBe(0);
  }
}, 600_000);

it("stops everything with exit code 78 when a child refuses its configuration at its first start, restarting nothing", async () => {
  const { dataDir, env, ports } = await freshMachine();
  // Only the API and the worker make provider clients, so only they can see that the key is missing.
  const provider = { name: 'primary', kind: 'openai', baseURL: `http://127.0.0.1:${ports.simulatorPort}/v1`, model: 'sim-primary-2026-11-01', apiKeyEnv: 'NO_SUCH_KEY' };
  const { child, output } = spawnStart({ ...env, PROVIDERS: JSON.stringify([provider]) });
  try {
    const code = await new Promise<number | null>((exited) => child.once('exit', exited));
    expect(code).toBe(78);
    expect(output()).toContain('configuration error: missing API key: set the environment variable(s) NO_SUCH_KEY');
    expect(output()).toMatch(/refused its configuration \(its own "configuration error" line says why\); not restarting it/);
    expect(output()).not.toContain('restarting in');
    expect(output()).not.toContain('[start] ready:');
    // What it started before the refusal is stopped: the Temporal server's port is free again.
    await expectFree(Number(env.TEMPORAL_DEV_PORT));
  } finally {
    child.kill('SIGKILL');
    rmSync(dataDir, { recursive: true, force: true });
  }
}, 300_000);

it('refuses at once, naming the setting, when another program holds a port it needs, and starts nothing', async () => {
  const { dataDir, env, ports } = await freshMachine();
  // Another program on the port: it takes every connection and drops it.
  const holder = createServer((socket) => socket.destroy());
  await new Promise<void>((listening) => holder.listen(ports.mllpPort, '127.0.0.1', listening));
  const { child, output } = spawnStart(env);
  try {
    const code = await new Promise<number | null>((exited) => child.once('exit', exited));
    expect({ code, output: output().trim() }).toEqual({
      code: 78,
      output: `configuration error: MLLP_PORT=${ports.mllpPort}: cannot listen on 127.0.0.1:${ports.mllpPort}: the port is in use by another program (or another copy of this one)`,
    });
  } finally {
    child.kill('SIGKILL');
    await new Promise((closed) => holder.close(closed));
    rmSync(dataDir, { recursive: true, force: true });
  }
});
