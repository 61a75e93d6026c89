/**
 * The run's progress: on a terminal a bar redrawn in place, elsewhere (CI logs, pipes) a plain
 * line every few seconds; notes (each outage as it happens) go above either.
 */
import { Format, type Options } from 'cli-progress';
import { createBar, type Terminal } from '../../ops/bar';
import type { StatusCounts } from './observe';

export interface Snapshot {
  seconds: number;
  records: number;
  ingested: number;
  counts: StatusCounts;
  events: { done: number; planned: number };
}

export interface ProgressLine {
  note(line: string): void;
  stop(): void;
}

const WIDTH = 24;
const TTY_EVERY_MS = 250;
const PLAIN_EVERY_MS = 10_000;

function describe({ seconds, records, ingested, counts, events }: Snapshot): string {
  const settled = counts.completed + counts.failed;
  return [
    `${seconds.toFixed(0).padStart(4)}s`,
    `ingested ${ingested}/${records}`,
    `settled ${settled}/${records} (completed ${counts.completed}, failed ${counts.failed})`,
    `processing ${counts.received + counts.processing}`,
    `parked ${counts.needs_investigation}`,
    `outages ${events.done}/${events.planned}`,
  ].join(' | ');
}

function frame(now: Snapshot, options: Options, tty: boolean): string {
  if (!tty) return `[chaos] ${describe(now)}`;
  const settled = now.counts.completed + now.counts.failed;
  const share = now.records === 0 ? 0 : Math.min(1, settled / now.records);
  return `[${Format.BarFormat(share, options)}] ${describe(now)}`;
}

export function startProgress(terminal: Terminal, snapshot: () => Snapshot): ProgressLine {
  const { bar, note } = createBar(terminal, {
    fps: 1000 / TTY_EVERY_MS,
    noTTYOutput: true,
    notTTYSchedule: PLAIN_EVERY_MS,
    barsize: WIDTH,
    barCompleteChar: '#',
    barIncompleteChar: '-',
    // Read as each frame is drawn, so the bar's own value and total go unused: the run has no one counter to push.
    format: (options) => frame(snapshot(), options, terminal.isTTY === true),
  });
  bar.start(0, 0);
  return {
    note: (line) => note(`[chaos] ${line}`),
    stop: () => bar.stop(),
  };
}
