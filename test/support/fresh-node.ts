import { execFileSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

/**
 * Runs `script` (TypeScript modules requirable from the repository's root) in a fresh Node process,
 * with `env` added to this one's environment; its stdout.
 */
export function inFreshNode(script: string, env: Record<string, string> = {}): string {
  return execFileSync(process.execPath, ['--import', 'tsx', '-e', script], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, ...env } });
}
