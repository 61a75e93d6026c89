/**
 * What a run will do, decided up front from the seed: every record (its id, ingestion path, text
 * and fault plan) and the moments of the infrastructure faults. The run then only executes it.
 */
import { STEPS, type FaultPlan, type ProviderFault, type StepFault } from '../../contract';
import type { Random } from './random';

export const PATHS = ['api', 'upload', 'mllp'] as const;
export type Path = (typeof PATHS)[number];

export const FAULT_KINDS = [
  'step-error',
  'step-timeout',
  'crash',
  'provider-status',
  'provider-rejected',
  'provider-timeout',
  'provider-malformed',
  'provider-slow',
  'combined',
  'exhaust-step',
  'exhaust-providers',
  'low-confidence',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** The kinds that must end in `needs_investigation`; every other kind must heal by retries alone. */
const INVESTIGATED: ReadonlySet<FaultKind> = new Set(['exhaust-step', 'exhaust-providers', 'low-confidence']);

/** The simulator answers with confidence 0.1 for a text carrying it (providers/simulator.ts). */
const LOW_CONFIDENCE_MARKER = '[low-confidence]';

export interface PlannedRecord {
  index: number;
  id: string;
  path: Path;
  text: string;
  kind: FaultKind | null;
  faults: FaultPlan | undefined;
  expectInvestigation: boolean;
}

export type ChaosEventKind = 'kill-worker' | 'restart-db' | 'restart-api';

/** Fires once the run's progress (ingested or finished records, as a fraction of all) reaches `at`. */
export interface ChaosEvent {
  kind: ChaosEventKind;
  progress: 'ingested' | 'finished';
  at: number;
}

export interface PlanSettings {
  records: number;
  faultRate: number;
  idPrefix: string;
  /** Attempts of a step and of a provider: an exhausting fault must outlast them. */
  stepAttempts: number;
  providerAttempts: number;
  providers: readonly [string, string];
  /** Each crash takes the whole worker down: a few prove the point, more only slow the run. */
  maxCrashes: number;
  workerKills: number;
  dbRestarts: number;
  apiRestarts: number;
}

export interface RunPlan {
  records: PlannedRecord[];
  events: ChaosEvent[];
}

const WEIGHTS: ReadonlyArray<readonly [FaultKind, number]> = [
  ['step-error', 5],
  ['step-timeout', 1],
  ['crash', 0.6],
  ['provider-status', 3],
  ['provider-rejected', 1],
  ['provider-timeout', 1],
  ['provider-malformed', 1],
  ['provider-slow', 1],
  ['combined', 2],
  ['exhaust-step', 1.5],
  ['exhaust-providers', 1],
  ['low-confidence', 1],
];

const WORDS = ['glucose', 'sodium', 'potassium', 'stable', 'elevated', 'normal', 'fasting', 'sample', 'patient', 'reviewed', 'culture', 'negative', 'pending', 'follow', 'hemoglobin', 'platelets', 'renal', 'hepatic', 'panel', 'repeat'];

type Draw = (random: Random, settings: PlanSettings) => Array<StepFault | ProviderFault>;
type RecoverableKind = Exclude<FaultKind, 'crash' | 'combined' | 'exhaust-step' | 'exhaust-providers' | 'low-confidence'>;

const stepFault = (random: Random, kind: StepFault['kind'], times: number): StepFault => ({
  step: random.pick(STEPS),
  when: random.pick(['before', 'after'] as const),
  kind,
  times,
});

const primary = (settings: PlanSettings) => settings.providers[0];

const RECOVERABLE: Record<RecoverableKind, Draw> = {
  'step-error': (r) => [stepFault(r, 'error', r.int(1, 3))],
  'step-timeout': (r) => [stepFault(r, 'timeout', 1)],
  'provider-status': (r, s) => [{ provider: primary(s), status: r.pick([503, 429, 500]), times: r.int(1, 2) }],
  'provider-rejected': (_r, s) => [{ provider: primary(s), status: 401, times: 1 }],
  'provider-timeout': (_r, s) => [{ provider: primary(s), kind: 'timeout', times: 1 }],
  'provider-malformed': (r, s) => [{ provider: primary(s), kind: 'malformed', times: r.int(1, 2) }],
  'provider-slow': (r, s) => [{ provider: primary(s), kind: 'slow', delayMs: r.int(200, 1200), times: 1 }],
};
const RECOVERABLE_KINDS = Object.keys(RECOVERABLE) as RecoverableKind[];

const DRAWS: Record<Exclude<FaultKind, 'low-confidence'>, Draw> = {
  ...RECOVERABLE,
  crash: (r) => [stepFault(r, 'crash', 1)],
  combined: (r, s) => [r.pick(RECOVERABLE_KINDS), r.pick(RECOVERABLE_KINDS)].flatMap((k) => RECOVERABLE[k](r, s)),
  'exhaust-step': (r, s) => [stepFault(r, 'error', s.stepAttempts)],
  // Both providers fail: every attempt of each (exhausted), or for good (non-retryable). `times` covers
  // every attempt either way: an attempt lost to a worker kill or an outage must not use up the fault.
  'exhaust-providers': (r, s) =>
    r.chance(0.5)
      ? s.providers.map((provider) => ({ provider, status: 503, times: s.providerAttempts }))
      : s.providers.map((provider) => ({ provider, status: 401, times: s.providerAttempts })),
};

/**
 * A step whose side effect already holds the record's final state heals on its next attempt,
 * whatever the `times` of an `after` fault: the retry finds the stored output (inference) or the
 * completed record (persist) and has nothing left to fail. Only the charge must be parked, then
 * refunded or resumed, because a charge alone does not finish a record.
 */
/**
 * A persist that fails after its commit has completed the record (the transition is in the same
 * statement), so the retry finds it done. An inference output committed before an `after` fault
 * does not end the step: every provider's activity counts its own attempts and fails after each,
 * so the chain is exhausted as DESIGN §8 says.
 */
const healsOnRetry = (plan: FaultPlan): boolean => plan.faults.some((f) => 'step' in f && f.step === 'persist' && f.when === 'after');

function textFor(random: Random, id: string, lowConfidence: boolean): string {
  const words = Array.from({ length: random.int(6, 30) }, () => random.pick(WORDS)).join(' ');
  return `record ${id}: ${words}${lowConfidence ? ` ${LOW_CONFIDENCE_MARKER}` : ''}`;
}

/** MLLP carries no fault plan (HL7 has no place for one), so only plan-free and low-confidence records may take it. */
function pathFor(random: Random, needsPlan: boolean, mllpShare: number): Path {
  if (!needsPlan && random.chance(mllpShare)) return 'mllp';
  return random.pick(['api', 'upload'] as const);
}

function drawKind(random: Random, crashesLeft: number): FaultKind {
  const kind = random.weighted(WEIGHTS);
  return kind === 'crash' && crashesLeft <= 0 ? 'step-error' : kind;
}

function planRecords(random: Random, settings: PlanSettings): PlannedRecord[] {
  const totalWeight = WEIGHTS.reduce((sum, [, w]) => sum + w, 0);
  const lowConfidenceShare = (WEIGHTS.find(([k]) => k === 'low-confidence')?.[1] ?? 0) / totalWeight;
  // Of the records that may take MLLP, this share does, so each path gets about a third of all.
  const mllpShare = Math.min(1, 1 / 3 / (1 - settings.faultRate * (1 - lowConfidenceShare)));
  let crashesLeft = settings.maxCrashes;
  return Array.from({ length: settings.records }, (_, index) => {
    const kind = random.chance(settings.faultRate) ? drawKind(random, crashesLeft) : null;
    if (kind === 'crash') crashesLeft -= 1;
    const faults = kind && kind !== 'low-confidence' ? { faults: DRAWS[kind](random, settings) } : undefined;
    const path = pathFor(random, faults !== undefined, mllpShare);
    const id = `${path === 'mllp' ? 'hl7-' : ''}${settings.idPrefix}${index}`;
    const text = textFor(random, id, kind === 'low-confidence');
    const expectInvestigation = kind !== null && INVESTIGATED.has(kind) && !(faults && healsOnRetry(faults));
    return { index, id, path, text, kind, faults, expectInvestigation };
  });
}

function moments(random: Random, count: number, from: number, to: number): number[] {
  return Array.from({ length: count }, () => from + random.next() * (to - from)).sort((a, b) => a - b);
}

function planEvents(random: Random, settings: PlanSettings): ChaosEvent[] {
  const kills = moments(random, settings.workerKills, 0.05, 0.85).map((at): ChaosEvent => ({ kind: 'kill-worker', progress: 'finished', at }));
  const outages: ChaosEventKind[] = [...Array<ChaosEventKind>(settings.dbRestarts).fill('restart-db'), ...Array<ChaosEventKind>(settings.apiRestarts).fill('restart-api')];
  const order = outages.map((kind) => ({ kind, key: random.next() })).sort((a, b) => a.key - b.key);
  const at = moments(random, order.length, 0.15, 0.75);
  return [...kills, ...order.map(({ kind }, i): ChaosEvent => ({ kind, progress: 'ingested', at: at[i] ?? 0.5 }))];
}

export function planRun(random: Random, settings: PlanSettings): RunPlan {
  return { records: planRecords(random.fork('records'), settings), events: planEvents(random.fork('events'), settings) };
}
