/**
 * `npx tsx bin/bundle-workflows.ts [out]` (compiled: `node dist/bin/bundle-workflows.js [out]`)
 * writes the workflow bundle (default dist/workflow-bundle.js under the working directory). The
 * production image runs the compiled one at build time and points
 * WORKFLOW_BUNDLE_PATH at the result, so a worker starts in a second instead of running webpack
 * on every start, and every replica runs byte-identical workflow code.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { runMain } from '../config/runtime';
import { workflowBundleOptions } from '../workers/bundle';

async function main(): Promise<void> {
  // From the working directory: __dirname differs between the TypeScript and the compiled file.
  const out = path.resolve(process.argv[2] ?? path.join('dist', 'workflow-bundle.js'));
  // The same options createWorkers bundles with when it has no bundle.
  const { code } = await bundleWorkflowCode(workflowBundleOptions);
  await mkdir(path.dirname(out), { recursive: true });
  await writeFile(out, code);
  console.log(`[bundle-workflows] wrote ${path.relative(process.cwd(), out)} (${Math.round(code.length / 1024)} KiB)`);
}

runMain(main);
