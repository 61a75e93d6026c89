/** What the run counts as it goes: read by the progress line, and by the report at the end. */
import type { ChaosEventKind, Path } from './plan';

export interface PathStats {
  records: number;
  acknowledged: number;
  duplicates: number;
  /** Sends repeated after a 503, an `AR`, an `unavailable` upload line or a lost connection. */
  retries: number;
}

export interface EventLog {
  kind: ChaosEventKind;
  /** Seconds into the run. */
  at: number;
  detail: string;
  downMs?: number;
  skipped?: string;
}

export interface RunStats {
  startedAt: number;
  ingestion: Record<Path, PathStats>;
  rejected: Array<{ id: string; path: Path; reason: string }>;
  events: EventLog[];
  resolutions: { retry: number; approve: number; abandon: number; resent: number; retries: number };
  /** Parked by the reconciler with no workflow left to signal (the resolve route answers 409). */
  orphaned: Map<string, string>;
  redelivered: { sent: number; duplicates: number; acceptedAgain: string[] };
}

const pathStats = (): PathStats => ({ records: 0, acknowledged: 0, duplicates: 0, retries: 0 });

export function createStats(): RunStats {
  return {
    startedAt: Date.now(),
    ingestion: { api: pathStats(), upload: pathStats(), mllp: pathStats() },
    rejected: [],
    events: [],
    resolutions: { retry: 0, approve: 0, abandon: 0, resent: 0, retries: 0 },
    orphaned: new Map(),
    redelivered: { sent: 0, duplicates: 0, acceptedAgain: [] },
  };
}

export const secondsSince = (start: number): number => Math.round((Date.now() - start) / 100) / 10;
