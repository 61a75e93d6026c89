/**
 * The supervisor's pid files (`<DATA_DIR>/pids/<name>.pid`, or `<name>-<n>.pid` for each process
 * of a kind it runs several of), and killing a child through them.
 */
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export type ChildName = 'worker' | 'api' | 'mllp';

/** The supervisor writes no pid files there (another supervisor, or another DATA_DIR): nothing to kill. */
export class NoPidFile extends Error {
  override name = 'NoPidFile';
}

export interface Killed {
  /** The process's own name: `worker`, or `worker-2` of several. */
  instance: string;
  killed: number;
  replacement: number;
}

async function readPid(file: string): Promise<number | undefined> {
  const text = await readFile(file, 'utf8').catch(() => '');
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** Every process of a kind, by its own name, in the supervisor's order. */
export async function readPids(dataDir: string, name: ChildName): Promise<Map<string, number>> {
  const dir = path.join(dataDir, 'pids');
  const pattern = new RegExp(`^${name}(-(\\d+))?\\.pid$`);
  const files = (await readdir(dir).catch(() => [])).flatMap((file) => {
    const match = pattern.exec(file);
    return match ? [{ file, instance: file.slice(0, -'.pid'.length), n: Number(match[2] ?? 0) }] : [];
  });
  const pids = new Map<string, number>();
  for (const { file, instance } of files.sort((a, b) => a.n - b.n)) {
    const pid = await readPid(path.join(dir, file));
    if (pid !== undefined) pids.set(instance, pid);
  }
  return pids;
}

/**
 * SIGKILL, as the OOM killer or a lost node would: no shutdown hook runs. Of several processes of
 * the kind, the `nth` (modulo their number), so that successive kills take each in turn. Resolves
 * with the pid the supervisor started next in its place.
 */
export async function killAndAwaitRestart(dataDir: string, name: ChildName, nth = 0, timeoutMs = 60_000): Promise<Killed> {
  const instances = [...(await readPids(dataDir, name))];
  const [instance, killed] = instances[nth % Math.max(1, instances.length)] ?? [];
  if (instance === undefined || killed === undefined) throw new NoPidFile(`no pid file for ${name} in ${path.join(dataDir, 'pids')}`);
  try {
    process.kill(killed, 'SIGKILL');
  } catch (err) {
    // Gone already: a crash fault of the run ended it a moment earlier, and its restart serves as well.
    if ((err as NodeJS.ErrnoException).code !== 'ESRCH') throw err;
  }
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const current = await readPid(path.join(dataDir, 'pids', `${instance}.pid`));
    if (current !== undefined && current !== killed) return { instance, killed, replacement: current };
    if (Date.now() > deadline) throw new Error(`the supervisor did not restart ${instance} within ${timeoutMs} ms`);
    await sleep(100);
  }
}
