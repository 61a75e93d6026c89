/**
 * G10, safe upgrades: every stored history of processRecord, captured from real runs of each
 * version that has been deployed (test/histories/<version>/, docs/versioning.md), replays on the
 * current workflow code without a non-determinism error. A change to the workflow that would strand
 * a running or parked record fails here, naming the history and what diverged.
 *
 * The replayer decodes with the tests' payload keys: histories captured since payload encryption
 * carry encrypted payloads, and the codec passes the plain ones of earlier versions through.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { Worker } from '@temporalio/worker';
import { payloadDataConverter } from '../temporal/client';
import { requiredEnv, testPayloadKeys } from './support/stack';

const HISTORIES = path.join(__dirname, 'histories');
const versions = readdirSync(HISTORIES, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();

describe.each(versions)('histories of version %s', (version) => {
  const dir = path.join(HISTORIES, version);
  const files = readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

  it(`replay on the current workflow code (${files.length} histories)`, async () => {
    // The workflow id names the file, so a failure says which history diverged.
    const histories = files.map((file) => ({
      workflowId: path.relative(path.dirname(__dirname), path.join(dir, file)),
      history: historyFromJSON(JSON.parse(readFileSync(path.join(dir, file), 'utf8'))),
    }));
    const failures: string[] = [];
    const options = { workflowBundle: { codePath: requiredEnv('TEST_WORKFLOW_BUNDLE') }, dataConverter: payloadDataConverter(testPayloadKeys()) };
    for await (const result of Worker.runReplayHistories(options, histories)) {
      if (result.error) failures.push(`${result.workflowId}: ${result.error.name}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
  });
});
