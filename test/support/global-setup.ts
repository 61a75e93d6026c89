/**
 * Provisions once for the whole run what every test file shares: the Temporal binaries, one
 * PostgreSQL with migrations applied, and the workflow bundle (bundling per file would cost
 * seconds each). Handed to the test files through the environment.
 */
import { bundleWorkflowCode, DefaultLogger } from '@temporalio/worker';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '../../dev/postgres';
import { applyMigrations } from '../../dev/migrations';
import { ensureDefaultAccount } from '../../db/accounts';
import { createDb, statementsOf } from '../../db/client';
import { ensureTemporalCli, ensureTestServer, provisionOptionsFromEnv } from '../../dev/provision';
import { workflowBundleOptions } from '../../workers/bundle';
import { freePort } from '../../dev/processes';

declare global {
  var stopTestDatabase: (() => Promise<void>) | undefined;
  var testScratchDir: string | undefined;
}

export default async function globalSetup(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'durable-inference-test-'));
  globalThis.testScratchDir = dir;
  const options = provisionOptionsFromEnv(process.env);
  const [cli, testServer] = await Promise.all([ensureTemporalCli(undefined, options), ensureTestServer(undefined, options)]);
  process.env.TEST_TEMPORAL_CLI = cli;
  process.env.TEST_TEMPORAL_TEST_SERVER = testServer;
  if (!process.env.DATABASE_URL) {
    // Two suites at once, some with two stacks or worker processes of their own, each stack with the
    // API's pool and the worker's (10 connections each, opened as needed): more than the default 100.
    const pg = await startEmbeddedPostgres({ dataDir: join(dir, 'postgres'), port: await freePort(), maxConnections: 200 });
    globalThis.stopTestDatabase = () => pg.stop();
    process.env.DATABASE_URL = pg.connectionString;
  }
  await applyMigrations(process.env.DATABASE_URL);
  const db = createDb(process.env.DATABASE_URL);
  await ensureDefaultAccount(statementsOf(db), 'usd').finally(() => db.$disconnect());
  const { code } = await bundleWorkflowCode({ ...workflowBundleOptions, logger: new DefaultLogger('WARN') });
  const bundlePath = join(dir, 'workflow-bundle.js');
  writeFileSync(bundlePath, code);
  process.env.TEST_WORKFLOW_BUNDLE = bundlePath;
}
