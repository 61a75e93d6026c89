/** The summary as Markdown: printed by `npm run bench` and pasted as is into BENCHMARKS.md. */
import path from 'node:path';
import Table from 'cli-table3';
import type { ProfileShare, ProfileSummary } from './profile';
import type { BenchResults } from './run';
import type { Spread } from './stats';
import type { CostRow, FaultClassRow, Figure, LatencyRow, Summary } from './summary';

const num = (n: number): string => (Number.isFinite(n) ? String(Math.abs(n) >= 100 ? Math.round(n) : Math.round(n * 100) / 100) : '–');
const median = (s: Spread | undefined): string => (s ? num(s.median) : '–');
const range = (s: Spread): string => (s.n > 1 ? `${num(s.min)}–${num(s.max)}` : '–');
const cores = (values: number[]): string => (values.length ? `${num(Math.min(...values))}–${num(Math.max(...values))}` : '–');

// GitHub Markdown: pipes around the cells and, in compact style, one rule of dashes under the header only.
const MARKDOWN: Table.TableConstructorOptions = {
  chars: { top: '', 'top-mid': '', 'top-left': '', 'top-right': '', bottom: '', 'bottom-mid': '', 'bottom-left': '', 'bottom-right': '', left: '|', 'left-mid': '|', mid: '-', 'mid-mid': '|', right: '|', 'right-mid': '|', middle: '|' },
  style: { head: [], border: [], compact: true },
};

// In compact style cli-table3 draws the header's rule above the first row, so a table without rows has the rule as its bottom border.
const RULE_BELOW = { bottom: '-', 'bottom-left': '|', 'bottom-mid': '|', 'bottom-right': '|' };

export function markdownTable(header: string[], rows: string[][]): string {
  const layout = new Table({ ...MARKDOWN, chars: { ...MARKDOWN.chars, ...(rows.length === 0 ? RULE_BELOW : {}) }, head: header });
  layout.push(...rows);
  return layout.toString();
}

function figuresTable(figures: Figure[]): string {
  return markdownTable(
    ['figure', 'median', 'spread (min–max)', 'n', 'target', 'met', 'other load (cores)'],
    figures.map((f) => [
      f.label,
      `${num(f.spread.median)} ${f.unit}`,
      range(f.spread),
      String(f.spread.n),
      f.target ? `${f.target.op === '>=' ? '≥' : '≤'} ${f.target.value}` : '',
      f.met === undefined ? '' : f.met ? 'yes' : '**no**',
      cores(f.otherCores),
    ]),
  );
}

function latencyTable(rows: LatencyRow[]): string {
  return markdownTable(
    ['worker', 'rate', 'endpoint', 'p50 ms', 'p95 ms', 'p99 ms (spread)', 'max ms', 'errors', 'answered/s', 'CPU ms per request', 'other load (cores)'],
    rows.map((r) => [
      r.mode === 'api-only' ? 'none' : 'running',
      `${r.ratePerSecond}/s`,
      r.endpoint,
      median(r.p50Ms),
      median(r.p95Ms),
      `${median(r.p99Ms)} (${range(r.p99Ms)})`,
      median(r.maxMs),
      String(r.errors),
      median(r.achievedPerSecond),
      r.cpuMsPerRequest ? Object.entries(r.cpuMsPerRequest).map(([name, ms]) => `${name} ${num(ms)}`).join(', ') : '',
      cores(r.otherCores),
    ]),
  );
}

function faultTable(rows: FaultClassRow[]): string {
  return markdownTable(
    ['fault (first attempt only)', 'records per run', 'extra model calls per record', 'a correct pipeline makes', 'output already stored'],
    rows.map((r) => [r.name, String(r.recordsPerRun), `${median(r.extraModelCallsPerRecord)} (${range(r.extraModelCallsPerRecord)})`, String(r.expected), r.afterOutputStored ? 'yes' : 'no']),
  );
}

function costTable(rows: CostRow[]): string {
  return markdownTable(
    ['per record (median of repetitions)', 'baseline, 3 regular', 'baseline, mixed', 'pipeline', 'pipeline, 2 workers'],
    rows.map((r) => [r.label, median(r.baseline), median(r.mixed), median(r.pipeline), median(r.twoWorkers)]),
  );
}

// Results written before the runtime option have none: they ran through tsx.
const runtimeSetting = (options: BenchResults['options']): string => (options.runtime === 'compiled' ? 'compiled (node on .data/bench/dist)' : 'through tsx');

function temporalSetting(options: BenchResults['options']): string {
  // Results written before the topology option have none: they ran on the dev server.
  if (options.topology === 'production') return 'Production topology: Temporal server on the app\'s PostgreSQL (deploy/temporal/server.yaml)';
  return `Temporal dev server on ${options.temporalStore === 'memory' ? 'in-memory' : 'file'} SQLite`;
}

export function renderMarkdown(results: BenchResults, summary: Summary): string {
  const { machine, options } = results;
  const sections = [
    `Machine: ${machine.cpus} CPUs (${machine.cpuModel}), ${Math.round(machine.memoryMiB / 1024)} GiB, Node ${machine.node}, ${machine.os}; load average before the run ${results.loadBefore.join(' ')}.`,
    `${temporalSetting(options)}; worker, baseline worker and API ${runtimeSetting(options)}; ${options.records} records per throughput run; ${options.reps} repetition(s); latency series of ${options.latency.seconds} s.`,
    figuresTable(summary.figures),
    'Other load: cores kept busy by processes outside the benchmark while a figure was measured (min–max over the repetitions); the machine has ' + `${machine.cpus}.`,
    summary.latency.length ? `Ingest latency, open loop (medians of the repetitions):\n\n${latencyTable(summary.latency)}` : '',
    summary.faultClasses.length ? `Fault mix (30 % of the records, one fault each):\n\n${faultTable(summary.faultClasses)}` : '',
    summary.costs.some((c) => c.pipeline) ? `What one record costs:\n\n${costTable(summary.costs)}` : '',
    ...(results.profiles ?? []).map(profileSection),
  ];
  return sections.filter(Boolean).join('\n\n');
}

function profileSection(profile: ProfileSummary): string {
  const rows = (list: ProfileShare[]) => list.map((p) => [p.name, `${p.ms}`, `${Math.round(p.share * 1000) / 10} %`]);
  return [
    `CPU profile of the ${profile.process}, ${profile.thread} (${profile.totalMs} ms of samples, idle excluded; ${path.basename(profile.file)}):`,
    markdownTable(['by package', 'self ms', 'share'], rows(profile.byPackage)),
    markdownTable(['top functions (self time)', 'self ms', 'share'], rows(profile.topFunctions)),
  ].join('\n\n');
}
