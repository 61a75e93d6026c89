/**
 * The CI chaos run (DESIGN G7, issue 6): `npm run chaos` as an operator runs it, on a stack of its
 * own, with 300 records at fault rate 0.3 through all three ingestion paths, while the worker is
 * SIGKILLed (at least twice), PostgreSQL is stopped and started and the API is SIGKILLed. It must
 * end with every record settled and no violation, from the auditor or from the harness's own checks.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..');
const RESULT = join(ROOT, 'test', 'artifacts', 'chaos-result.json');
const ARGS = ['--records', '300', '--fault-rate', '0.3', '--seed', '1', '--worker-kills', '3', '--db-restarts', '1', '--api-restarts', '1'];

function runHarness(args: string[]): Promise<{ code: number | null; output: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'dev', 'bin', 'chaos.ts'), ...args], {
    cwd: ROOT,
    // Nothing of the test run's own stack (DATABASE_URL, ports) may leak into the harness's.
    env: { PATH: process.env.PATH, HOME: process.env.HOME, TEMPORAL_CLI_PATH: process.env.TEST_TEMPORAL_CLI, WORKFLOW_BUNDLE_PATH: process.env.TEST_WORKFLOW_BUNDLE },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((done) => child.once('exit', (code) => done({ code, output })));
}

it('settles 300 records with zero violations through worker kills, a database restart and an API restart', async () => {
  mkdirSync(join(ROOT, 'test', 'artifacts'), { recursive: true });
  const { code, output } = await runHarness([...ARGS, '--out', RESULT]);
  // The table and the outage notes end up in the CI log either way.
  process.stdout.write(`${output.split('\n').slice(-40).join('\n')}\n`);
  const result = JSON.parse(readFileSync(RESULT, 'utf8'));
  expect(result.violations.listed).toEqual([]);
  expect(result).toMatchObject({ ok: true, records: 300, faultRate: 0.3, settled: 300, unsettled: 0 });
  for (const path of ['api', 'upload', 'mllp']) expect(result.byPath[path].acknowledged).toBe(result.byPath[path].records);
  expect(result.faults.plans).toBeGreaterThanOrEqual(60);
  expect(result.infrastructure.workerKills).toBeGreaterThanOrEqual(2);
  expect(result.infrastructure.dbRestarts).toBe(1);
  expect(result.infrastructure.apiRestarts).toBe(1);
  expect(result.investigations.records).toBeGreaterThan(0);
  expect(code).toBe(0);
}, 20 * 60_000);
