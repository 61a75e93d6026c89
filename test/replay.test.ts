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
const NONDETERMINISM = /\[TMPRL1100\][^"]*/;
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
    let diverged = 0;
    const options = { workflowBundle: { codePath: requiredEnv('TEST_WORKFLOW_BUNDLE') }, dataConverter: payloadDataConverter(testPayloadKeys()) };
    for await (const result of Worker.runReplayHistories(options, histories)) {
      // Core's own verdict (what diverged) is inside the SDK's longer message; the whole message otherwise.
      if (!result.error) continue;
      const verdict = NONDETERMINISM.exec(result.error.message)?.[0];
      if (verdict) diverged += 1;
      failures.push(`${result.workflowId}: ${result.error.name}: ${verdict ?? result.error.message}`);
    }
    if (diverged > 0) {
      throw new Error(
        `${diverged} of ${files.length} stored histories of ${version} do not replay on the current workflow code: ` +
          `deployed, this change would fail the workflow tasks of records running or parked on ${version}; ship it behind a patch (docs/versioning.md)\n${failures.join('\n')}`,
      );
    }
    // Not a divergence of the workflow code: a history the replayer could not read (a payload key the tests lack, a broken file).
    if (failures.length > 0) throw new Error(`${failures.length} of ${files.length} stored histories of ${version} could not be replayed:\n${failures.join('\n')}`);
  });
});
