import { execFileSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/** Runs `script` (TypeScript modules requirable from the repository's root) in a fresh Node process; its stdout. */
export function inFreshNode(script: string): string {
  return execFileSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, encoding: 'utf8' });
}
