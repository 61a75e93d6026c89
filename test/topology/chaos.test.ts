/**
 * The production topology under chaos (DESIGN §9, G7): `npm run chaos -- --topology production`
 * starts the real Temporal server on the same PostgreSQL as the app, with deploy/temporal/server.yaml
 * (the file docker-compose.yml runs it with), two API and two worker processes, the MLLP listener
 * and the provider simulator; 300 records at fault rate 0.3 go in through all three paths, spread
 * over both APIs, while a worker and an API process are SIGKILLed and PostgreSQL (Temporal's store
 * too) is stopped and started. Every record must settle, with no violation.
 */
import { join, resolve } from 'node:path';
import { expectCleanRun, runChaosHarness } from '../support/chaos';

const RESULT = join(resolve(__dirname, '..', '..'), 'test', 'artifacts', 'topology-chaos-result.json');
const ARGS = ['--topology', 'production', '--records', '300', '--fault-rate', '0.3', '--seed', '1', '--worker-kills', '2', '--db-restarts', '1', '--api-restarts', '1'];

it('settles 300 records with zero violations on the production topology through worker and API kills and a database restart', async () => {
  const run = await runChaosHarness(ARGS, RESULT);
  expect(run.result.topology).toMatch(/^production: Temporal server on PostgreSQL, 2 API, 2 worker/);
  // Both workers were killed: each kill takes the next.
  const events: Array<{ kind: string; detail: string; skipped?: string }> = run.result.infrastructure.events;
  const killed = events.filter((e) => e.kind === 'kill-worker' && !e.skipped).map((e) => e.detail.split(' ')[0]);
  expect(new Set(killed)).toEqual(new Set(['worker-1', 'worker-2']));
  expectCleanRun(run, { records: 300, workerKills: 2, dbRestarts: 1, apiRestarts: 1 });
}, 30 * 60_000);
