/**
 * A cli-progress bar on one terminal line, redrawn in place, with notes written above it; the
 * operator CLI and the chaos harness both draw theirs with it.
 */
import { SingleBar, type Options } from 'cli-progress';

export interface Terminal {
  write(text: string): unknown;
  isTTY?: boolean;
}

const CLEAR_LINE = '\r\x1b[2K';
const nothing = (): void => undefined;

/**
 * What cli-progress draws through instead of its own terminal, which saves the cursor when a bar
 * starts and restores it when the bar stops (ESC 7, ESC 8): that puts the cursor back over the
 * notes written meanwhile. Here each frame is drawn over a cleared line; off a terminal (with
 * noTTYOutput) each frame is a line of its own, and stopping adds no empty line after the last.
 */
function frames(out: Terminal) {
  const tty = out.isTTY === true;
  return {
    isTTY: () => tty,
    // Only a right-aligned or centred bar is laid out by the width.
    getWidth: () => Infinity,
    cursorTo: () => void (tty && out.write(CLEAR_LINE)),
    write: (frame: string) => void out.write(tty ? frame : `${frame}\n`),
    newline: () => void (tty && out.write('\n')),
    clearRight: nothing,
    cursorSave: nothing,
    cursorRestore: nothing,
    lineWrapping: nothing,
  };
}

export function createBar(out: Terminal, options: Options): { bar: SingleBar; note: (line: string) => void } {
  // cli-progress reads the `terminal` option, but its type definitions leave it out.
  const settings: Options & { terminal: ReturnType<typeof frames> } = { ...options, forceRedraw: true, terminal: frames(out) };
  const bar = new SingleBar(settings);
  return {
    bar,
    note: (line) => {
      out.write(`${out.isTTY ? CLEAR_LINE : ''}${line}\n`);
      // The note took the bar's line: forceRedraw draws the bar again even where it has not moved.
      if (out.isTTY && bar.isActive) bar.render();
    },
  };
}
