/**
 * `npm run bench:metrics -- [--records n] [--scrapes n]`: how long one /metrics scrape takes with
 * a million records (the default) in a scratch PostgreSQL; see BENCHMARKS.md. A benchmark, not a
 * test: nothing in CI runs it.
 */
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { runMain } from '../../config/runtime';
import { measureMetricsScale } from '../bench/metrics-scale';

const argsSchema = z.strictObject({
  records: z.coerce.number().int().min(1_000).max(10_000_000).default(1_000_000),
  scrapes: z.coerce.number().int().min(5).max(1_000).default(20),
});

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { records: { type: 'string' }, scrapes: { type: 'string' } }, strict: true });
  const options = argsSchema.parse(values);
  const result = await measureMetricsScale(options, (line) => process.stderr.write(`[bench-metrics] ${line}\n`));
  console.log(JSON.stringify(result, null, 2));
}

runMain(main);
