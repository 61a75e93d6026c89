/**
 * Every process of ours runs through runMain, which sets V8 to collect the old generation once it
 * has grown by half (config/runtime.ts): the API's and the worker's peak RSS under load was garbage
 * that V8's default let grow to three times what was live (BENCHMARKS.md, memory under load).
 * Garbage that survives a few young-generation collections, as a busy process's does, shows the
 * difference: the same work peaks far lower inside runMain than in a plain Node process.
 */
import { inFreshNode } from './support/fresh-node';

// Keeps the last 3,000 batches alive, so each lives long enough to be promoted, then drops it.
const WORK = `
  const kept = new Array(3000).fill(null);
  let peak = 0;
  for (let i = 0; i < 20000; i++) {
    kept[i % kept.length] = Array.from({ length: 1000 }, (_, k) => ({ k }));
    if (i % 100 === 0) peak = Math.max(peak, process.memoryUsage().heapUsed);
  }
  process.stdout.write(String(peak));`;

function peakHeapMiB(script: string): number {
  return Number(inFreshNode(script)) / 2 ** 20;
}

it('the same garbage peaks at most three quarters as high in a process run through runMain as in a plain one', () => {
  const plain = peakHeapMiB(WORK);
  const ours = peakHeapMiB(`require('./config/runtime.ts').runMain(async () => { ${WORK} });`);
  expect(ours).toBeLessThan(plain * 0.75);
});
