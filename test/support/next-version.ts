/**
 * The next version of the workflow code, for the upgrade test: the workflows as they are now, copied
 * to a scratch folder with a change applied, bundled as the workers bundle them. The copy shares the
 * contract and node_modules through symlinks, which the bundler resolves to the real files, so the
 * bundle differs from the test bundle by the change alone.
 */
import { bundleWorkflowCode, DefaultLogger, type WorkflowBundle } from '@temporalio/worker';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { workflowBundleOptions } from '../../workers/bundle';

const ROOT = path.join(__dirname, '..', '..');

/** Replace `anchor` (which must occur exactly once) in a file under workflows/ with `replacement`. */
export interface Edit {
  file: string;
  anchor: string;
  replacement: string;
}

function apply(dir: string, { file, anchor, replacement }: Edit): void {
  const target = path.join(dir, 'workflows', file);
  const source = readFileSync(target, 'utf8');
  const at = source.indexOf(anchor);
  if (at < 0 || source.indexOf(anchor, at + 1) >= 0) {
    throw new Error(`workflows/${file} no longer holds exactly one ${JSON.stringify(anchor)}: update the next version's change to the code as it is now`);
  }
  writeFileSync(target, source.slice(0, at) + replacement + source.slice(at + anchor.length));
}

export async function bundleNextVersion(edits: Edit[]): Promise<WorkflowBundle> {
  const dir = mkdtempSync(path.join(tmpdir(), 'next-version-'));
  try {
    cpSync(path.join(ROOT, 'workflows'), path.join(dir, 'workflows'), { recursive: true });
    for (const shared of ['contract', 'node_modules']) symlinkSync(path.join(ROOT, shared), path.join(dir, shared));
    for (const edit of edits) apply(dir, edit);
    return await bundleWorkflowCode({
      ...workflowBundleOptions,
      workflowsPath: path.join(dir, 'workflows', path.basename(workflowBundleOptions.workflowsPath)),
      logger: new DefaultLogger('WARN'),
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
