/** Peak resident memory of a live process, from the kernel's own high-water mark. */
import { readFileSync } from 'node:fs';

/** VmHWM in MiB; null once the process is gone (or off Linux, where there is no /proc). */
export function peakRssMiB(pid: number): number | null {
  try {
    const kb = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? null : Math.round(Number(kb) / 1024);
  } catch {
    return null;
  }
}
