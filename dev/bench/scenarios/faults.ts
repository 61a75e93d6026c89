/**
 * Fault cost (issue 8, figure 4): 30 % of the records carry a one-shot fault plan, spread evenly
 * over every step and moment and over the provider's own failures; the run is compared with the
 * clean run of the same repetition. Model calls are counted per record from `model_calls`: a
 * fault after the output is stored must cost no model call at all (G3).
 */
import { sqlViolations } from '../../../audit';
import type { FaultPlan } from '../../../contract';
import type { Db } from '../../../db/client';
import { pipelineRun, type MeasuredRun, type RunContext } from '../runs';
import { round } from '../stats';
import { recordId } from '../submit';

interface FaultClass {
  name: string;
  plan: FaultPlan;
  /** The model calls a correct pipeline makes beyond the first: a provider fault costs its retry. */
  expectedExtraCalls: number;
  /** The target case: the output is stored when the fault fires, so a retry must not call a model. */
  afterOutputStored: boolean;
}

const step = (s: 'charge' | 'inference' | 'persist', when: 'before' | 'after'): FaultClass => ({
  name: `${s} ${when}`,
  plan: { faults: [{ step: s, when, kind: 'error', times: 1 }] },
  expectedExtraCalls: 0,
  afterOutputStored: s === 'persist' || (s === 'inference' && when === 'after'),
});
const provider = (name: string, fault: { status: number } | { kind: 'malformed' }): FaultClass => ({
  name: `provider ${name}`,
  plan: { faults: [{ provider: 'primary', times: 1, ...fault }] },
  expectedExtraCalls: 1,
  afterOutputStored: false,
});

export const FAULT_MIX: readonly FaultClass[] = [
  step('charge', 'before'),
  step('charge', 'after'),
  step('inference', 'before'),
  step('inference', 'after'),
  step('persist', 'before'),
  step('persist', 'after'),
  provider('503', { status: 503 }),
  provider('429', { status: 429 }),
  provider('malformed', { kind: 'malformed' }),
];
const FAULTY_PER_TEN = 3;

/** Records 0–2 of every ten carry a fault, the classes taken in turn. */
export function faultClassOf(index: number): FaultClass | undefined {
  if (index % 10 >= FAULTY_PER_TEN) return undefined;
  return FAULT_MIX[(Math.floor(index / 10) * FAULTY_PER_TEN + (index % 10)) % FAULT_MIX.length];
}

export interface FaultClassCost {
  name: string;
  records: number;
  extraModelCallsPerRecord: number;
  expectedExtraCalls: number;
  afterOutputStored: boolean;
}

export interface FaultRep {
  run: MeasuredRun;
  classes: FaultClassCost[];
  cleanExtraModelCallsPerRecord: number;
  /** Invariant violations the auditor's SQL finds anywhere in the bench database afterwards. */
  violations: number;
}

async function modelCallsByRecord(db: Db, prefix: string): Promise<Map<string, number>> {
  const rows = await db.modelCall.groupBy({ by: ['recordId'], where: { recordId: { startsWith: `${prefix}-` } }, _count: { _all: true } });
  return new Map(rows.map((r) => [r.recordId, r._count._all]));
}

function costs(calls: Map<string, number>, prefix: string, records: number) {
  const tally = new Map<string, { records: number; extra: number }>();
  for (let i = 0; i < records; i++) {
    const key = faultClassOf(i)?.name ?? 'clean';
    const entry = tally.get(key) ?? { records: 0, extra: 0 };
    entry.records += 1;
    entry.extra += (calls.get(recordId(prefix, i)) ?? 0) - 1;
    tally.set(key, entry);
  }
  return tally;
}

export async function faultRep(ctx: RunContext, tag: string): Promise<FaultRep> {
  const run = await pipelineRun(ctx, tag, 1, { faults: (i) => faultClassOf(i)?.plan });
  const tally = costs(await modelCallsByRecord(ctx.bench.db, tag), tag, ctx.options.records);
  const clean = tally.get('clean');
  const classes = FAULT_MIX.map((cls) => {
    const entry = tally.get(cls.name) ?? { records: 0, extra: 0 };
    const { name, expectedExtraCalls, afterOutputStored } = cls;
    return { name, records: entry.records, extraModelCallsPerRecord: round(entry.extra / Math.max(1, entry.records), 3), expectedExtraCalls, afterOutputStored };
  });
  return {
    run,
    classes,
    cleanExtraModelCallsPerRecord: clean ? round(clean.extra / clean.records, 3) : 0,
    violations: (await sqlViolations(ctx.bench.db)).length,
  };
}
