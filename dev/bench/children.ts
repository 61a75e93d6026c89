/**
 * The processes under test run as real children, as `npm start` and the images run them, so their
 * memory is their own and a worker's CPU is not shared with the load generator's event loop.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import path from 'node:path';
import { peakRssMiB } from './memory';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
const KILL_AFTER_MS = 15_000;

export interface ChildSpec {
  name: string;
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  /** stdout and stderr go here, so a failed run can be read afterwards without flooding the table. */
  logFile: string;
}

export interface Child {
  name: string;
  pid: number;
  /** Throws when the child died before it was asked to stop: a run must not wait for it forever. */
  assertAlive(): void;
  /** Stops it (SIGTERM, then SIGKILL) and returns its peak RSS, read just before the signal. */
  stop(): Promise<number | null>;
}

export function spawnChild(spec: ChildSpec): Child {
  // The file itself, not a pipe through this process: a logger writing synchronously would
  // otherwise wait on the bench's event loop whenever the pipe is full, and the figures with it.
  const log = openSync(spec.logFile, 'a');
  const child = spawn(spec.command, spec.args, { cwd: REPO_ROOT, env: spec.env, stdio: ['ignore', log, log] });
  closeSync(log);
  if (child.pid === undefined) throw new Error(`${spec.name} did not start (${spec.command})`);
  const pid = child.pid;
  let exit: string | undefined;
  // A bench that dies on an error or a signal must not leave servers and workers running behind it.
  const orphanGuard = () => void child.kill('SIGTERM');
  process.once('exit', orphanGuard);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exit = signal ?? `code ${code}`;
      process.off('exit', orphanGuard);
      resolve();
    }),
  );
  return {
    name: spec.name,
    pid,
    assertAlive() {
      if (exit !== undefined) throw new Error(`${spec.name} (pid ${pid}) exited (${exit}); see ${spec.logFile}`);
    },
    async stop() {
      const peak = peakRssMiB(pid);
      if (exit === undefined) {
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), KILL_AFTER_MS);
        await exited;
        clearTimeout(timer);
      }
      return peak;
    },
  };
}

/** A TypeScript entry of this repository, run as the supervisor and the image run it. */
export function nodeChild(name: string, entry: string, env: NodeJS.ProcessEnv, logFile: string, nodeFlags: string[] = []): Child {
  return spawnChild({ name, command: process.execPath, args: ['--import', 'tsx', ...nodeFlags, path.join(REPO_ROOT, entry)], env, logFile });
}
