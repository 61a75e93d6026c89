/**
 * `npm run bench -- [--quick] [flags]`: the benchmark of the pipeline against two bare-workflow
 * baselines on the same Temporal server and machine (see BENCHMARKS.md). It compiles the processes
 * it measures, provisions its own PostgreSQL and Temporal server on free ports in a temporary
 * folder, prints a Markdown table and writes the raw figures to bench/results/. A benchmark, not a
 * test: nothing in CI runs it.
 */
import path from 'node:path';
import { writeChart } from '../bench/chart';
import { runBench } from '../bench/run';
import { parseOptions, UsageError, type BenchOptions } from '../bench/options';
import { defaultResultsFile, writeResults } from '../bench/results';
import { summarizeResults } from '../bench/summary';
import { renderMarkdown } from '../bench/table';
import { runMain } from '../../config/runtime';
import { provisionOptionsFromEnv } from '../provision';

const log = (line: string): void => void process.stderr.write(`[bench] ${line}\n`);

function optionsOrExit(argv: string[]): BenchOptions {
  try {
    return parseOptions(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    (err.exitCode === 0 ? console.log : console.error)(err.message);
    process.exit(err.exitCode);
  }
}

async function main(): Promise<void> {
  const options = optionsOrExit(process.argv.slice(2));
  // Through process.exit, so the children's exit guards (bench/children.ts) and PostgreSQL's stop run.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));
  const out = options.out ? path.resolve(options.out) : defaultResultsFile(new Date());
  const profileDir = out.replace(/\.json$/, '') + '-profile';
  const results = await runBench(options, provisionOptionsFromEnv(process.env), process.env, profileDir, log);
  const summary = summarizeResults(results);
  const markdown = renderMarkdown(results, summary);
  writeResults(out, results, summary, markdown);
  if (options.chart) await writeChart(summary, out.replace(/\.json$/, '.png'));
  console.log(markdown);
  log(`results written to ${path.relative(process.cwd(), out)}`);
}

runMain(main);
