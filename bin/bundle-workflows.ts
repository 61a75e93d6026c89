/**
 * `npx tsx bin/bundle-workflows.ts [out]` writes the workflow bundle (default
 * dist/workflow-bundle.js). The production image runs it at build time and points
 * WORKFLOW_BUNDLE_PATH at the result, so a worker starts in a second instead of running webpack
 * on every start, and every replica runs byte-identical workflow code.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { runMain } from '../config/runtime';
import { workflowBundleOptions } from '../workers/bundle';

async function main(): Promise<void> {
  const out = path.resolve(process.argv[2] ?? path.join(__dirname, '..', 'dist', 'workflow-bundle.js'));
  // The same options createWorkers bundles with when it has no bundle.
  const { code } = await bundleWorkflowCode(workflowBundleOptions);
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, code);
  console.log(`[bundle-workflows] wrote ${path.relative(process.cwd(), out)} (${Math.round(code.length / 1024)} KiB)`);
}

runMain(main);
