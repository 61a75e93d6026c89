/**
 * G10, safe upgrades: every stored history of processRecord, captured from real runs of each
 * version that has been deployed (test/histories/<version>/, docs/versioning.md), replays on the
 * current workflow code without a non-determinism error. A change to the workflow that would strand
 * a running or parked record fails here, naming the history and what diverged.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { requiredEnv } from './support/stack';

const HISTORIES = path.join(__dirname, 'histories');
const versions = readdirSync(HISTORIES, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();

describe.each(versions)('histories of version %s', (version) => {
  const dir = path.join(HISTORIES, version);
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

  it(`replay on the current workflow code (${files.length} histories)`, async () => {
    const histories = files.map((file) => ({
      workflowId: `${version}/${file}`,
      history: historyFromJSON(JSON.parse(readFileSync(path.join(dir, file), 'utf8'))),
    }));
    const failures: string[] = [];
    for await (const result of Worker.runReplayHistories({ workflowBundle: { codePath: requiredEnv('TEST_WORKFLOW_BUNDLE') } }, histories)) {
      if (result.error) failures.push(`${result.workflowId}: ${result.error.name}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
  });
});
