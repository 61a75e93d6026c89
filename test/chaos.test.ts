/**
 * The CI chaos run (DESIGN G7, issue 6): `npm run chaos` as an operator runs it, on a stack of its
 * own, with 300 records at fault rate 0.3 through all three ingestion paths, while the worker is
 * SIGKILLed (at least twice), PostgreSQL is stopped and started and the API is SIGKILLed. It must
 * end with every record settled and no violation, from the auditor or from the harness's own checks.
 */
import { join, resolve } from 'node:path';
import { expectCleanRun, runChaosHarness } from './support/chaos';

const RESULT = join(resolve(__dirname, '..'), 'test', 'artifacts', 'chaos-result.json');
const ARGS = ['--records', '300', '--fault-rate', '0.3', '--seed', '1', '--worker-kills', '3', '--db-restarts', '1', '--api-restarts', '1'];

it('settles 300 records with zero violations through worker kills, a database restart and an API restart', async () => {
  const run = await runChaosHarness(ARGS, RESULT, { TEMPORAL_CLI_PATH: process.env.TEST_TEMPORAL_CLI, WORKFLOW_BUNDLE_PATH: process.env.TEST_WORKFLOW_BUNDLE });
  expect(run.result).toMatchObject({ faultRate: 0.3 });
  expect(run.result.faults.plans).toBeGreaterThanOrEqual(60);
  expectCleanRun(run, { records: 300, workerKills: 2, dbRestarts: 1, apiRestarts: 1 });
}, 20 * 60_000);
