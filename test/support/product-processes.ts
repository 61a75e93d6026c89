/**
 * The API, the worker and the MLLP listener as the production entry points run them (bin/), each in
 * a process of its own under the `npm start` supervisor, with every line each one writes kept for
 * the test to read. The worker is restarted after a `crash` fault as `npm start` would.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { freePort, supervise, waitForPort, type Supervised } from '../../dev/processes';
import { requiredEnv, TEST_PAYLOAD_KEYS } from './stack';

export interface ProductProcesses {
  apiUrl: string;
  mllpPort: number;
  worker: Supervised;
  /** Everything the processes wrote to stdout and stderr so far, every restart included. */
  output(): string;
  stop(): Promise<void>;
}

/**
 * The worker's reconciler checks every `received`/`processing` row against its own Temporal. The
 * shared database holds the rows of test files running beside this one, which that Temporal has never
 * seen: quiet for a day, none of them is old enough to be checked.
 */
const RECONCILER_OFF_THE_SHARED_DATABASE = { RECONCILE_QUIET_MS: String(24 * 60 * 60 * 1000) };

const ENTRY_POINTS = { api: 'api.ts', worker: 'worker.ts', mllp: 'mllp.ts' } as const;
/** How `node` runs a production entry point from its TypeScript source. */
const entryArgs = (file: string): string[] => ['--import', 'tsx', resolve(__dirname, '../../bin', file)];

/** A production entry point run to its end, for one that refuses to start: its exit code and its stderr, trimmed. */
export async function runToExit(entry: keyof typeof ENTRY_POINTS, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, entryArgs(ENTRY_POINTS[entry]), { env, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // 'close', not 'exit': the last of stderr can arrive after the process has exited.
  const code = await new Promise<number | null>((closed) => child.once('close', closed));
  return { code, stderr: stderr.trim() };
}

export async function startProductProcesses(env: NodeJS.ProcessEnv): Promise<ProductProcesses> {
  const [apiPort, mllpPort] = await Promise.all([freePort(), freePort()]);
  const chunks: Buffer[] = [];
  const started = Object.entries(ENTRY_POINTS).map(([name, file]) =>
    supervise(
      {
        name,
        command: process.execPath,
        args: entryArgs(file),
        env: { ...RECONCILER_OFF_THE_SHARED_DATABASE, ...env, HOST: '127.0.0.1', PORT: String(apiPort), MLLP_PORT: String(mllpPort) },
        restart: name === 'worker',
        output: (chunk) => chunks.push(chunk),
      },
      () => undefined,
    ),
  );
  const stop = async () => void (await Promise.all(started.map((p) => p.stop())));
  const output = () => Buffer.concat(chunks).toString();
  try {
    await Promise.all([waitForPort(apiPort, '127.0.0.1', 60_000, '/healthz'), waitForPort(mllpPort, '127.0.0.1', 60_000)]);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}; the processes wrote:\n${output()}`, { cause: err });
  }
  return { apiUrl: `http://127.0.0.1:${apiPort}`, mllpPort, worker: started.find((p) => p.name === 'worker') as Supervised, output, stop };
}

export interface WorkerProcessOptions {
  temporalAddress: string;
  simulatorPort: number;
  /** Settings on top of the test defaults (fast retries, a metrics port, a task queue…). */
  env?: NodeJS.ProcessEnv;
  name?: string;
  /** Restarted after it dies, as `npm start` restarts a worker a `crash` fault ended. */
  restart?: boolean;
  /** Hears every chunk the process writes to stdout and stderr. */
  output?: (chunk: Buffer) => void;
}

/** One worker process from the production entry point, on the test's Temporal, simulator and payload key. */
export function startWorkerProcess({ temporalAddress, simulatorPort, env = {}, name = 'worker', restart = true, output }: WorkerProcessOptions): Supervised {
  return supervise(
    {
      name,
      command: process.execPath,
      args: entryArgs(ENTRY_POINTS.worker),
      env: {
        ...process.env,
        ...RECONCILER_OFF_THE_SHARED_DATABASE,
        NODE_ENV: 'test',
        LOG_LEVEL: 'warn',
        PAYLOAD_KEYS: TEST_PAYLOAD_KEYS,
        TEMPORAL_ADDRESS: temporalAddress,
        SIMULATOR_PORT: String(simulatorPort),
        SIMULATOR_API_KEY: 'test',
        WORKER_METRICS_ADDRESS: '',
        WORKFLOW_BUNDLE_PATH: requiredEnv('TEST_WORKFLOW_BUNDLE'),
        ...env,
      },
      restart,
      output,
    },
    () => undefined,
  );
}
