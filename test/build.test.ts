/**
 * The production build as the image runs it: `npm run build` compiles to dist/, the compiled
 * bundler writes the workflow bundle, and the compiled API and worker start on plain Node (no
 * TypeScript runner) against the test database and a Temporal dev server, then stop on SIGTERM.
 */
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from '../dev/processes';
import { requiredEnv, startTemporal, TEST_PAYLOAD_KEYS } from './support/stack';

const ROOT = path.resolve(__dirname, '..');
const run = promisify(execFile);
let temporal: TestWorkflowEnvironment;
let scratch: string;
const children: ChildProcess[] = [];

beforeAll(async () => {
  temporal = await startTemporal();
  scratch = mkdtempSync(path.join(tmpdir(), 'build-test-'));
});
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(scratch, { recursive: true, force: true });
  await temporal?.teardown();
});

/** The production environment, with nothing of this test process's (no NODE_OPTIONS that could load tsx). */
function productionEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  return {
    PATH: process.env.PATH,
    NODE_ENV: 'production',
    DATABASE_URL: requiredEnv('DATABASE_URL'),
    TEMPORAL_ADDRESS: temporal.address,
    API_KEYS: 'build-test-key',
    PAYLOAD_KEYS: TEST_PAYLOAD_KEYS,
    PROVIDERS: JSON.stringify([{ name: 'primary', kind: 'openai', baseURL: 'http://127.0.0.1:9/v1', model: 'none-2026-01-01', apiKeyEnv: 'BUILD_TEST_PROVIDER_KEY' }]),
    BUILD_TEST_PROVIDER_KEY: 'unused',
    LOG_LEVEL: 'info',
    ...extra,
  };
}

/** Starts `node <script>` and resolves once a line of its output matches. */
function startUntil(script: string, env: NodeJS.ProcessEnv, ready: RegExp): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(process.execPath, [path.join(ROOT, script)], { cwd: scratch, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${script} did not get ready:\n${output}`)), 60_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      if (ready.test(output)) {
        clearTimeout(timer);
        resolve({ child, output: () => output });
      }
    };
    child.stdout?.on('data', read);
    child.stderr?.on('data', read);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}:\n${output}`)));
  });
}

const stopped = (child: ChildProcess): Promise<number | null> =>
  new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', (code) => resolve(code));
    child.kill('SIGTERM');
  });

it('builds dist/, bundles the workflows from it, and runs the API and the worker on plain Node', async () => {
  await run('npm', ['run', 'build'], { cwd: ROOT, timeout: 240_000 });
  for (const entry of ['api', 'worker', 'mllp', 'ops', 'audit', 'worker-health', 'bundle-workflows']) expect(existsSync(path.join(ROOT, 'dist', 'bin', `${entry}.js`))).toBe(true);
  expect(existsSync(path.join(ROOT, 'dist', 'dev'))).toBe(false);
  expect(existsSync(path.join(ROOT, 'dist', 'test'))).toBe(false);

  const bundle = path.join(scratch, 'workflow-bundle.js');
  await run(process.execPath, [path.join(ROOT, 'dist', 'bin', 'bundle-workflows.js'), bundle], { cwd: ROOT, timeout: 120_000, env: productionEnv({}) });
  expect(existsSync(bundle)).toBe(true);

  const port = await freePort();
  const api = await startUntil('dist/bin/api.js', productionEnv({ PORT: String(port) }), /API listening/);
  const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
  expect({ status: ready.status, body: await ready.json() }).toEqual({ status: 200, body: { database: true, temporal: true } });
  // The web console's files come from dist/ too.
  expect((await fetch(`http://127.0.0.1:${port}/`)).status).toBe(200);

  const worker = await startUntil('dist/bin/worker.js', productionEnv({ WORKFLOW_BUNDLE_PATH: bundle, WORKER_METRICS_ADDRESS: '' }), /workers polling/);
  expect(await stopped(worker.child)).toBe(0);
  expect(await stopped(api.child)).toBe(0);
  expect(api.output()).not.toMatch(/tsx/);
}, 420_000);
