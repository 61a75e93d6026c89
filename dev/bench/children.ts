/**
 * The processes under test run as real children, as `npm start` and the images run them, so their
 * memory is their own and a worker's CPU is not shared with the load generator's event loop.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import path from 'node:path';
import { peakRssMiB } from './memory';

export const REPO_ROOT = path.resolve(__dirname, '..', '..');
/** Where dev/bench/build.ts compiles what the bench runs (tsconfig.bench.json's outDir). */
export const COMPILED_ROOT = path.join(REPO_ROOT, '.data', 'bench', 'dist');
const KILL_AFTER_MS = 15_000;

/**
 * How the processes under test run: compiled JavaScript on node alone, as the image runs them, or
 * `node --import tsx <entry>.ts` as `npm start` runs them.
 */
export const RUNTIMES = ['compiled', 'tsx'] as const;
export type Runtime = (typeof RUNTIMES)[number];

/** The pipeline's worker, or the baseline worker with one of the two baseline bundles. */
export type WorkerKind = 'pipeline' | 'baseline' | 'mixed';

/** Every entry point the bench starts, by what it is; without extension, as the runtime picks it. */
const ENTRIES = { pipeline: 'bin/worker', baseline: 'dev/bin/bench-baseline-worker', mixed: 'dev/bin/bench-baseline-worker', api: 'bin/api', probe: 'dev/bin/bench-speed-probe' } as const;
export type EntryName = keyof typeof ENTRIES;

const entryFile = (runtime: Runtime, name: EntryName): string =>
  runtime === 'compiled' ? path.join(COMPILED_ROOT, `${ENTRIES[name]}.js`) : path.join(REPO_ROOT, `${ENTRIES[name]}.ts`);

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

/** An entry point of this repository, compiled or through tsx. */
export function nodeChild(name: string, runtime: Runtime, entry: EntryName, env: NodeJS.ProcessEnv, logFile: string, nodeFlags: string[] = []): Child {
  const loader = runtime === 'tsx' ? ['--import', 'tsx'] : [];
  return spawnChild({ name, command: process.execPath, args: [...loader, ...nodeFlags, entryFile(runtime, entry)], env, logFile });
}
