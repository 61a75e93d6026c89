/**
 * Provisions once for the whole run what every test file shares: the Temporal binaries, one
 * PostgreSQL with migrations applied, the workflow bundle (bundling per file would cost
 * seconds each) and Chromium. Handed to the test files through the environment.
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
import { ensureChromium } from '../../dev/browser';

declare global {
  var stopTestDatabase: (() => Promise<void>) | undefined;
  var testScratchDir: string | undefined;
}

export default async function globalSetup(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'durable-inference-test-'));
  globalThis.testScratchDir = dir;
  // The browser suites run side by side, and on a fresh machine each would start apt-get: one
  // failed on the other's dpkg lock (CI of d964486). Installed here, once; where that
  // cannot be done, each browser suite throws the same error and says what to do.
  try {
    ensureChromium();
  } catch {
    // left to the browser suites
  }
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
