/**
 * The progress of `retry --all-investigating` as a bar on the terminal. Off a terminal it draws
 * nothing, so logs and pipes get only the notes, one per line.
 */
import { createBar, type Terminal } from './bar';

export interface Progress {
  /** The total grows as pages of work arrive. */
  add(count: number): void;
  advance(): void;
  /** A line that stays above the bar, e.g. a per-item failure. */
  note(line: string): void;
  finish(): void;
}

export function createProgress(terminal: Terminal, label: string): Progress {
  const { bar, note } = createBar(terminal, {
    format: `${label} [{bar}] {value}/{total}`,
    barsize: 30,
    barCompleteChar: '#',
    barIncompleteChar: '-',
    emptyOnZero: true,
  });
  return {
    add(count) {
      // Started by the first page, so a run with nothing to retry draws no bar; off a terminal,
      // cli-progress does not start it at all.
      if (bar.isActive) bar.setTotal(bar.getTotal() + count);
      else bar.start(count, 0);
    },
    advance: () => bar.increment(),
    note,
    // The last state of the bar stays on screen above the summary.
    finish: () => bar.stop(),
  };
}
