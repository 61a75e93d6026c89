/**
 * The run's progress: on a terminal a bar redrawn in place, elsewhere (CI logs, pipes) a plain
 * line every few seconds; notes (each outage as it happens) go above either.
 */
import type { StatusCounts } from './observe';

export interface Terminal {
  write(text: string): unknown;
  isTTY?: boolean;
}

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
const CLEAR_LINE = '\r\x1b[2K';
const TTY_EVERY_MS = 250;
const PLAIN_EVERY_MS = 10_000;

function bar(done: number, total: number): string {
  const filled = total === 0 ? 0 : Math.min(WIDTH, Math.round((done / total) * WIDTH));
  return `[${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}]`;
}

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

export function startProgress(terminal: Terminal, snapshot: () => Snapshot): ProgressLine {
  const draw = () => {
    const now = snapshot();
    const settled = now.counts.completed + now.counts.failed;
    if (terminal.isTTY) terminal.write(`${CLEAR_LINE}${bar(settled, now.records)} ${describe(now)}`);
    else terminal.write(`[chaos] ${describe(now)}\n`);
  };
  const timer = setInterval(draw, terminal.isTTY ? TTY_EVERY_MS : PLAIN_EVERY_MS);
  return {
    note(line) {
      terminal.write(`${terminal.isTTY ? CLEAR_LINE : ''}[chaos] ${line}\n`);
      if (terminal.isTTY) draw();
    },
    stop() {
      clearInterval(timer);
      draw();
      if (terminal.isTTY) terminal.write('\n');
    },
  };
}
