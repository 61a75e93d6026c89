/** The supervisor's pid files (`<DATA_DIR>/pids/<name>.pid`), and killing a child through them. */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

export type ChildName = 'worker' | 'api' | 'mllp';

/** The supervisor writes no pid files there (another supervisor, or another DATA_DIR): nothing to kill. */
export class NoPidFile extends Error {
  override name = 'NoPidFile';
}

export async function readPid(dataDir: string, name: ChildName): Promise<number | undefined> {
  const text = await readFile(path.join(dataDir, 'pids', `${name}.pid`), 'utf8').catch(() => '');
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/** SIGKILL, as the OOM killer or a lost node would: no shutdown hook runs. Resolves with the pid the supervisor started next. */
export async function killAndAwaitRestart(dataDir: string, name: ChildName, timeoutMs = 60_000): Promise<{ killed: number; replacement: number }> {
  const killed = await readPid(dataDir, name);
  if (killed === undefined) throw new NoPidFile(`no pid file for ${name} in ${path.join(dataDir, 'pids')}`);
  process.kill(killed, 'SIGKILL');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const current = await readPid(dataDir, name);
    if (current !== undefined && current !== killed) return { killed, replacement: current };
    if (Date.now() > deadline) throw new Error(`the supervisor did not restart ${name} within ${timeoutMs} ms`);
    await sleep(100);
  }
}
