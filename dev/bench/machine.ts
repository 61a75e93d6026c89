/** What the figures were measured on, and how busy and how fast the machine was when each was taken. */
import { createHash } from 'node:crypto';
import os from 'node:os';
import { round } from './stats';

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

const PAYLOAD = Buffer.alloc(64 * 1024, 7);
const DOCUMENT = { id: 'record-0', steps: ['charge', 'inference', 'persist'], text: 'x'.repeat(512) };

function fixedWorkOnce(): number {
  const before = process.cpuUsage();
  for (let i = 0; i < 1_500; i++) {
    createHash('sha256').update(PAYLOAD).digest();
    JSON.parse(JSON.stringify({ ...DOCUMENT, i }));
  }
  const spent = process.cpuUsage(before);
  return (spent.user + spent.system) / 1000;
}

/**
 * The CPU milliseconds this process spends on the same single-threaded work (hashing and JSON), the
 * least of three tries: how fast the machine itself is at that moment. A virtual machine shares its
 * host, and the same work's CPU time moves with what the host's other guests do, which no load
 * average inside this one shows. Taken right before a run, beside the run's CPU per record.
 */
export const fixedWorkMs = (): number => round(Math.min(fixedWorkOnce(), fixedWorkOnce(), fixedWorkOnce()), 1);
