/**
 * The shape of the tree, where lint cannot see it: fault injection (DESIGN G6) is a layer, so the
 * product's business code never mentions it. Only the layer itself, the contract (the fault-plan
 * schema, the request body that carries it, the failure type it raises), the setting that turns
 * it on, and the composition roots that install it may.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '..');
const PRODUCT = ['activities', 'api', 'audit', 'billing', 'config', 'contract', 'db', 'faults', 'ingest', 'metrics', 'mllp', 'ops', 'providers', 'reconcile', 'telemetry', 'temporal', 'workers', 'workflows', 'bin'];
const MAY_MENTION = [
  /^faults\//,
  /^contract\/(faults|api|failures|index)\.ts$/,
  /^config\/index\.ts$/,
  /^ingest\/settings\.ts$/,
  /^workers\/(process|bundle)\.ts$/,
];
// Whole words and identifiers: "fault plan", faultPlan, InjectedFault, simulate; not "default" or "simulator".
const MENTION = /\b(fault|simulate)|Fault/;

function* files(dir: string): Generator<string> {
  for (const entry of readdirSync(path.join(ROOT, dir))) {
    const rel = path.join(dir, entry);
    if (statSync(path.join(ROOT, rel)).isDirectory()) yield* files(rel);
    else if (/\.(ts|js|html)$/.test(entry)) yield rel;
  }
}

it('no product file outside the fault-injection layer mentions faults or simulation', () => {
  const offenders = PRODUCT.flatMap((dir) => [...files(dir)])
    .filter((file) => !MAY_MENTION.some((allowed) => allowed.test(file)))
    .flatMap((file) =>
      readFileSync(path.join(ROOT, file), 'utf8')
        .split('\n')
        .flatMap((line, i) => (MENTION.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : [])),
    );
  expect(offenders).toEqual([]);
});
