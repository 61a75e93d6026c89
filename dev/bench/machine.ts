/** What the figures were measured on, and how busy and how fast the machine was when each was taken. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { round, summarize } from './stats';

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

const ROUNDS = 150;
const PAYLOAD = Buffer.alloc(64 * 1024, 7);
const DOCUMENT = { id: 'record-0', steps: ['charge', 'inference', 'persist'], text: 'x'.repeat(512) };

/**
 * The CPU milliseconds this process spends on the same single-threaded work, hashing and JSON (about
 * 7 ms on the AMD EPYC machine of BENCHMARKS.md): how fast the machine itself is at that moment.
 * A virtual machine shares its host, and no load average inside it shows what the host's other
 * guests take from it.
 */
export function fixedWorkMs(): number {
  const before = process.cpuUsage();
  for (let i = 0; i < ROUNDS; i++) {
    createHash('sha256').update(PAYLOAD).digest();
    JSON.parse(JSON.stringify({ ...DOCUMENT, i }));
  }
  const spent = process.cpuUsage(before);
  return (spent.user + spent.system) / 1000;
}

/** The median of what the speed probe (dev/bin/bench-speed-probe.ts) logged between two times. */
export function probeMedianMs(logFile: string, fromMs: number, toMs: number): number | undefined {
  const samples = readFileSync(logFile, 'utf8')
    .split('\n')
    .map((line) => line.split(' ').map(Number))
    .filter(([at, ms]) => at !== undefined && ms !== undefined && at >= fromMs && at <= toMs)
    .map(([, ms]) => ms as number);
  return samples.length ? round(summarize(samples).median) : undefined;
}
