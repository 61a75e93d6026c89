/**
 * The processes under test run compiled, as the image runs them (Dockerfile: `npm run build`, then
 * node on dist/bin/*.js): before it starts anything the bench compiles the production build's
 * sources with its options, plus the baseline worker and the speed probe (tsconfig.bench.json), so
 * the baselines run compiled too and no figure comes from a stale dist/. Incremental: an unchanged
 * tree takes seconds.
 */
import { execFile } from 'node:child_process';
import { cpSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { COMPILED_ROOT, REPO_ROOT } from './children';
import type { Log } from './environment';

const run = promisify(execFile);

export async function compileForBench(log: Log): Promise<void> {
  log(`compiling the product and the baseline worker into ${path.relative(REPO_ROOT, COMPILED_ROOT)}`);
  try {
    await run(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', path.join(REPO_ROOT, 'tsconfig.bench.json')], { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024 });
  } catch (err) {
    // tsc reports its errors on stdout.
    throw new Error(`tsc -p tsconfig.bench.json failed:\n${(err as { stdout?: string }).stdout ?? (err as Error).message}`, { cause: err });
  }
  // As `npm run build` does: the upload page's files beside the compiled API.
  cpSync(path.join(REPO_ROOT, 'api', 'public'), path.join(COMPILED_ROOT, 'api', 'public'), { recursive: true });
}
