/**
 * A one-line progress bar for a terminal (a few lines do not justify a dependency). Off a
 * terminal it draws nothing, so logs and pipes get only the notes, one per line.
 */

export interface Terminal {
  write(text: string): unknown;
  isTTY?: boolean;
}

export interface Progress {
  /** The total grows as pages of work arrive. */
  add(count: number): void;
  advance(): void;
  /** A line that stays above the bar, e.g. a per-item failure. */
  note(line: string): void;
  finish(): void;
}

const WIDTH = 30;
const CLEAR_LINE = '\r\x1b[2K';

function bar(label: string, done: number, total: number): string {
  const filled = total === 0 ? 0 : Math.round((done / total) * WIDTH);
  return `${label} [${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${done}/${total}`;
}

export function createProgress(terminal: Terminal, label: string): Progress {
  let done = 0;
  let total = 0;
  const draw = () => terminal.isTTY && terminal.write(`${CLEAR_LINE}${bar(label, done, total)}`);
  return {
    add(count) {
      total += count;
      draw();
    },
    advance() {
      done += 1;
      draw();
    },
    note(line) {
      terminal.write(`${terminal.isTTY ? CLEAR_LINE : ''}${line}\n`);
      draw();
    },
    finish() {
      // The last state of the bar stays on screen above the summary.
      if (terminal.isTTY && total > 0) terminal.write('\n');
    },
  };
}
