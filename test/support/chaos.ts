/**
 * `npm run chaos` as an operator runs it, for the tests of a chaos run (test/chaos.test.ts, and the
 * production topology's in test/topology/): the harness in a process of its own, its table and
 * outage notes copied into the test log, its JSON result read back and checked.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '..', '..');

export interface HarnessRun {
  code: number | null;
  result: any;
}

/** Nothing of the test run's own stack (DATABASE_URL, ports) may leak into the harness's. */
export async function runChaosHarness(args: string[], resultFile: string, env: NodeJS.ProcessEnv = {}): Promise<HarnessRun> {
  mkdirSync(dirname(resultFile), { recursive: true });
  const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'dev', 'bin', 'chaos.ts'), ...args, '--out', resultFile], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const code = await new Promise<number | null>((done) => child.once('exit', done));
  // The table and the outage notes end up in the CI log either way.
  process.stdout.write(`${output.split('\n').slice(-40).join('\n')}\n`);
  return { code, result: JSON.parse(readFileSync(resultFile, 'utf8')) };
}

/** Every record settled, none lost on any path, no violation, and each outage of the plan happened. */
export function expectCleanRun({ code, result }: HarnessRun, expected: { records: number; workerKills: number; dbRestarts: number; apiRestarts: number }): void {
  expect(result.violations.listed).toEqual([]);
  expect(result).toMatchObject({ ok: true, records: expected.records, settled: expected.records, unsettled: 0 });
  for (const path of ['api', 'upload', 'mllp']) expect(result.byPath[path].acknowledged).toBe(result.byPath[path].records);
  expect(result.infrastructure.workerKills).toBeGreaterThanOrEqual(expected.workerKills);
  expect(result.infrastructure.dbRestarts).toBe(expected.dbRestarts);
  expect(result.infrastructure.apiRestarts).toBe(expected.apiRestarts);
  expect(result.investigations.records).toBeGreaterThan(0);
  expect(code).toBe(0);
}
