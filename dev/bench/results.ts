/** Where a run's numbers are kept: one JSON document per run, named by its start time. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { REPO_ROOT } from './children';
import type { BenchResults } from './run';
import type { Summary } from './summary';

export const RESULTS_DIR = path.join(REPO_ROOT, 'dev', 'bench', 'results');

export function defaultResultsFile(startedAt: Date): string {
  return path.join(RESULTS_DIR, `${startedAt.toISOString().replace(/[:.]/g, '-')}.json`);
}

export function writeResults(file: string, results: BenchResults, summary: Summary, markdown: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify({ ...results, summary, markdown }, null, 2)}\n`);
}
