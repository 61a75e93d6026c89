/**
 * CPU seconds each part of the system spent, from /proc: on a machine where everything shares two
 * cores, CPU per record by component (worker, Temporal, PostgreSQL, the bench itself) names the
 * bottleneck more directly than wall time can.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export type CpuByComponent = Record<string, number>;

const TICKS_PER_SECOND = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

interface Stat {
  pid: number;
  ppid: number;
  seconds: number;
}

function stat(pid: number): Stat | null {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: the fields start after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    const [ppid, utime, stime, cutime, cstime] = [fields[1], fields[11], fields[12], fields[13], fields[14]].map(Number) as [number, number, number, number, number];
    return { pid, ppid, seconds: (utime + stime + cutime + cstime) / TICKS_PER_SECOND };
  } catch {
    return null;
  }
}

/** A process and its direct children (PostgreSQL's backends are the postmaster's children), or only the children `pick` takes. */
export function treeCpuSeconds(rootPid: number, pick?: (pid: number) => boolean): number {
  const all = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).map((d) => stat(Number(d)));
  const counts = (s: Stat) => (pick ? s.ppid === rootPid && pick(s.pid) : s.pid === rootPid || s.ppid === rootPid);
  return all.reduce((sum, s) => (s && counts(s) ? sum + s.seconds : sum), 0);
}

/** A PostgreSQL backend's title starts with its role: `postgres: <role> <database> <client> <state>`. */
export function isBackendOf(role: string): (pid: number) => boolean {
  return (pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith(`postgres: ${role} `);
    } catch {
      return false;
    }
  };
}

export const cpuSeconds = (pid: number): number => stat(pid)?.seconds ?? 0;

/** CPU seconds the whole machine has been busy, from the first line of /proc/stat. */
export function machineBusySeconds(): number {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.trim().split(/\s+/) ?? [];
  const [user, nice, system, , , irq, softirq, steal] = fields.map(Number);
  return [user, nice, system, irq, softirq, steal].reduce((sum: number, t) => sum + (t ?? 0), 0) / TICKS_PER_SECOND;
}

/**
 * Cores that something other than the benchmark kept busy during a measurement: the machine's busy
 * time minus what the measured processes used. The load average cannot say this, because it counts
 * the benchmark's own processes, including the tail of its previous step.
 */
export function otherCores(machineBefore: number, machineAfter: number, ours: CpuByComponent, wallSeconds: number): number {
  const mine = Object.values(ours).reduce((sum, s) => sum + s, 0);
  return Math.max(0, Math.round(((machineAfter - machineBefore - mine) / wallSeconds) * 100) / 100);
}

export const ownCpuSeconds = (): number => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

export function cpuDelta(before: CpuByComponent, after: CpuByComponent): CpuByComponent {
  return Object.fromEntries(Object.entries(after).map(([name, seconds]) => [name, seconds - (before[name] ?? 0)]));
}

export function perRecordMs(cpu: CpuByComponent, records: number): CpuByComponent {
  return Object.fromEntries(Object.entries(cpu).map(([name, seconds]) => [name, Math.round((seconds * 100_000) / records) / 100]));
}
