/**
 * A worker's V8 CPU profile (node --cpu-prof) reduced to where the time went: by package, and the
 * functions with the most self time. Enough to name a bottleneck in BENCHMARKS.md; the .cpuprofile
 * itself opens in Chrome DevTools for the rest.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { COMPILED_ROOT, REPO_ROOT } from './children';
import { round } from './stats';

interface CpuProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}

interface CpuProfile {
  nodes: CpuProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileShare {
  name: string;
  ms: number;
  share: number;
}

export interface ProfileSummary {
  /** The process profiled, and its thread: `main`, or a worker thread (a worker's workflows run in one). */
  process: string;
  thread: string;
  file: string;
  totalMs: number;
  byPackage: ProfileShare[];
  topFunctions: ProfileShare[];
}

const TOP = 15;

/** node_modules/<package>, our own top-level folder, Node itself, or V8's pseudo-frames. */
function ownerOf({ functionName, url }: CpuProfileNode['callFrame']): string {
  if (url === '') return functionName || '(anonymous)';
  if (url.startsWith('node:')) return 'node';
  const file = url.replace(/^file:\/\//, '');
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1];
  if (pkg) return pkg;
  // Compiled code is named by the folder it was compiled from, as the source is under tsx.
  const root = file.startsWith(COMPILED_ROOT) ? COMPILED_ROOT : REPO_ROOT;
  if (file.startsWith(root)) return `ours: ${path.relative(root, file).split(path.sep)[0]}/`;
  // The bench's bundles live in its temporary folder: workflow code, the contract, zod and the SDK's workflow side.
  return /-bundle\.js$/.test(file) ? 'workflow bundle' : file;
}

function shares(selfMs: Map<string, number>, totalMs: number): ProfileShare[] {
  return [...selfMs]
    .sort((a, b) => b[1] - a[1])
    .slice(0, TOP)
    .map(([name, ms]) => ({ name, ms: round(ms, 0), share: round(ms / totalMs, 3) }));
}

function summarizeCpuProfile(process: string, thread: string, file: string): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const byPackage = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let totalMs = 0;
  profile.samples.forEach((id, i) => {
    const frame = nodes.get(id)?.callFrame;
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    if (!frame || frame.functionName === '(idle)') return;
    totalMs += ms;
    const owner = ownerOf(frame);
    byPackage.set(owner, (byPackage.get(owner) ?? 0) + ms);
    const fn = `${frame.functionName || '(anonymous)'} ${owner}${frame.url ? `:${frame.lineNumber + 1}` : ''}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + ms);
  });
  return { process, thread, file, totalMs: round(totalMs, 0), byPackage: shares(byPackage, totalMs), topFunctions: shares(byFunction, totalMs) };
}

// Node names them CPU.<date>.<time>.<pid>.<thread id>.<sequence>.cpuprofile; thread 0 is the main one.
const threadOf = (file: string): string => {
  const id = /\.(\d+)\.\d+\.cpuprofile$/.exec(file)?.[1];
  return id === '0' ? 'main' : `worker thread ${id ?? '?'}`;
};

/** Every thread that did at least a twentieth of the busiest one's work: the rest is start-up noise. */
export function summarizeProfiles(process: string, dir: string): ProfileSummary[] {
  const all = readdirSync(dir)
    .filter((f) => f.endsWith('.cpuprofile'))
    .map((f) => summarizeCpuProfile(process, threadOf(f), path.join(dir, f)));
  const busiest = Math.max(0, ...all.map((p) => p.totalMs));
  return all.filter((p) => p.totalMs >= busiest / 20);
}
