/** Child processes for the `npm start` supervisor: started, watched, restarted, and stopped in order. */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { dirname } from 'node:path';
import { joinHostPort } from '../config/address';
import { EXIT_CONFIGURATION } from '../config/runtime';

export interface ChildSpec {
  name: string;
  command: string;
  args: string[];
  env?: NodeJS.ProcessEnv;
  /** Restarted after an unexpected exit, as a crashed worker must be (DESIGN §8 `crash`). */
  restart: boolean;
  quiet?: boolean;
  /** Rewritten with the pid of every (re)start, so an outside tool (the chaos harness) can signal the child. */
  pidFile?: string;
  /** Output appended to this file instead of prefixed onto the supervisor's own. */
  logFile?: string;
  /** Where the child's stdout and stderr go instead of ours, prefixed: a test that reads every line a process wrote. */
  output?: (chunk: Buffer) => void;
  /**
   * Called, instead of a restart, when the child's first start exits refusing its configuration: it
   * would refuse again. A refusal after it once ran (a port taken meanwhile, an address not up yet)
   * may pass, so that is restarted as any other exit.
   */
  onRefused?: () => void;
}

export interface Supervised {
  name: string;
  stop(): Promise<void>;
  restarts(): number;
  /** The running child's, or undefined between a crash and its restart. */
  pid(): number | undefined;
}

/**
 * What the Node services run with unless the operator says otherwise. glibc gives every thread that
 * allocates an arena of its own, and sdk-core's and libuv's threads then keep about 100 MB of mostly
 * free arena memory resident in the worker; two arenas cost no measurable CPU (BENCHMARKS.md, memory).
 */
export const SERVICE_ENV_DEFAULTS = { MALLOC_ARENA_MAX: '2' };

const MAX_RESTART_DELAY_MS = 10_000;

function prefixOutput(child: ChildProcess, name: string): void {
  const prefix = `[${name}] `;
  const forward = (target: NodeJS.WriteStream) => (chunk: Buffer) => {
    const text = chunk.toString().replace(/\n(?!$)/g, `\n${prefix}`);
    target.write(prefix + text);
  };
  child.stdout?.on('data', forward(process.stdout));
  child.stderr?.on('data', forward(process.stderr));
}

function spawnChild(spec: ChildSpec): ChildProcess {
  const env = spec.env ?? process.env;
  if (!spec.logFile) {
    const child = spawn(spec.command, spec.args, { env, stdio: ['ignore', spec.quiet ? 'ignore' : 'pipe', 'pipe'] });
    if (spec.output) {
      child.stdout?.on('data', spec.output);
      child.stderr?.on('data', spec.output);
    } else {
      prefixOutput(child, spec.name);
    }
    return child;
  }
  mkdirSync(dirname(spec.logFile), { recursive: true });
  const log = openSync(spec.logFile, 'a');
  try {
    return spawn(spec.command, spec.args, { env, stdio: ['ignore', log, log] });
  } finally {
    closeSync(log);
  }
}

function writePidFile(file: string, pid: number): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${pid}\n`);
}

export function supervise(spec: ChildSpec, log: (line: string) => void): Supervised {
  let child: ChildProcess | undefined;
  let stopping = false;
  let restarts = 0;
  let delay = 500;

  const launch = () => {
    const started = Date.now();
    child = spawnChild(spec);
    if (spec.pidFile && child.pid !== undefined) writePidFile(spec.pidFile, child.pid);
    child.once('exit', (code, signal) => {
      if (stopping) return;
      if (code === EXIT_CONFIGURATION && restarts === 0 && spec.onRefused) {
        log(`${spec.name} refused its configuration (its own "configuration error" line says why); not restarting it`);
        spec.onRefused();
        return;
      }
      if (!spec.restart) return;
      // A process that ran a while gets restarted at once; one that keeps dying backs off.
      delay = Date.now() - started > 30_000 ? 500 : Math.min(delay * 2, MAX_RESTART_DELAY_MS);
      restarts += 1;
      log(`${spec.name} exited (${signal ?? `code ${code}`}); restarting in ${delay} ms`);
      setTimeout(() => !stopping && launch(), delay);
    });
  };
  launch();

  return {
    name: spec.name,
    restarts: () => restarts,
    pid: () => (child && child.exitCode === null && child.signalCode === null ? child.pid : undefined),
    async stop() {
      stopping = true;
      const current = child;
      if (!current || current.exitCode !== null || current.signalCode !== null) return;
      const exited = new Promise<void>((resolve) => current.once('exit', () => resolve()));
      current.kill('SIGTERM');
      const timer = setTimeout(() => current.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * Below the kernel's ephemeral range (32768 and up on Linux), where a port is handed out only to a
 * program that asks for its number. A port picked for a child is free until the child binds it,
 * often seconds later; in the ephemeral range anything that binds port 0 meanwhile can be given the
 * same number. A chaos run once hung so: the Temporal dev server, started after the pick, bound the
 * API's port for one of its own services, and every API start failed with EADDRINUSE. The bound
 * also suits the production topology's Temporal server, whose membership ports go into a SMALLINT
 * column.
 */
const CHILD_PORT_RANGE = { from: 10_000, to: 32_767 };

/** A port nothing listens on right now, for a child of our own to take. */
export async function freePort(): Promise<number> {
  const { from, to } = CHILD_PORT_RANGE;
  for (let tries = 0; tries < 100; tries++) {
    const port = from + Math.floor(Math.random() * (to - from + 1));
    if (await canListen(port)) return port;
  }
  throw new Error(`no free port between ${from} and ${to} in 100 tries`);
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function accepts(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ port, host }, () => {
      socket.end();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

const answers = (url: string): Promise<boolean> => fetch(url, { signal: AbortSignal.timeout(2_000) }).then((res) => res.ok, () => false);

/**
 * Until something accepts connections on the port or, given `healthPath`, answers it with a 2xx: any
 * program holding the port accepts a connection, and only ours answers our health path, so a port
 * taken by another program is not mistaken for a started child.
 */
export async function waitForPort(port: number, host: string, timeoutMs: number, healthPath?: string): Promise<void> {
  const url = `http://${joinHostPort(host, port)}${healthPath ?? ''}`;
  const ready = healthPath === undefined ? () => accepts(port, host) : () => answers(url);
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await ready()) return;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(healthPath === undefined ? `nothing accepted connections on ${host}:${port} within ${timeoutMs} ms` : `nothing answered ${url} within ${timeoutMs} ms`);
}
