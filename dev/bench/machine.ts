/** What the figures were measured on, and how busy the machine was when each was taken. */
import os from 'node:os';

export interface Machine {
  cpus: number;
  cpuModel: string;
  memoryMiB: number;
  node: string;
  os: string;
}

export type LoadAverage = [number, number, number];

export function describeMachine(): Machine {
  return {
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryMiB: Math.round(os.totalmem() / 2 ** 20),
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
  };
}

export const loadAverage = (): LoadAverage => os.loadavg().map((l) => Math.round(l * 100) / 100) as LoadAverage;
