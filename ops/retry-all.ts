/**
 * `retry --all-investigating`: one retry per parked record, through the same API route as a
 * single retry. One record's failure (it moved on meanwhile, its workflow is gone) is reported
 * and the run goes on; the exit code tells a script that something needs a look.
 */
import { ApiError, type ApiClient } from './api';
import type { Progress } from './progress';

interface RetryFailure {
  id: string;
  status: number;
  error: string;
  message: string;
}

export interface RetryAllOutcome {
  retried: string[];
  failed: RetryFailure[];
  /** Parked records may lie past the widest page the API serves: a second run reaches them. */
  unreached: boolean;
}

const PAGE_SIZE = 100;
const API_MAX_LIMIT = 1000;

function failureOf(id: string, err: unknown): RetryFailure {
  if (err instanceof ApiError) return { id, status: err.status, error: err.code, message: err.message };
  return { id, status: 0, error: 'unexpected', message: err instanceof Error ? err.message : String(err) };
}

async function retryEach(client: ApiClient, ids: readonly string[], outcome: RetryAllOutcome, progress: Progress): Promise<void> {
  for (const id of ids) {
    try {
      await client.resolve(id, { action: 'retry' });
      outcome.retried.push(id);
    } catch (err) {
      const failure = failureOf(id, err);
      outcome.failed.push(failure);
      progress.note(`${id}: ${failure.message}`);
    }
    progress.advance();
  }
}

/**
 * The API lists newest first and has no cursor, and a retried record leaves the list only once its
 * workflow has taken the signal. So each page asks for everything seen so far plus one page more
 * and skips what it has seen: no record is signalled twice, and none is missed while the list moves.
 */
export async function retryAllInvestigating(client: ApiClient, progress: Progress): Promise<RetryAllOutcome> {
  const outcome: RetryAllOutcome = { retried: [], failed: [], unreached: false };
  const seen = new Set<string>();
  try {
    for (;;) {
      const { records } = await client.listRecords({ status: 'needs_investigation', limit: Math.min(seen.size + PAGE_SIZE, API_MAX_LIMIT) });
      const fresh = records.map((r) => r.id).filter((id) => !seen.has(id));
      if (fresh.length === 0) {
        outcome.unreached = records.length === API_MAX_LIMIT;
        return outcome;
      }
      fresh.forEach((id) => seen.add(id));
      progress.add(fresh.length);
      await retryEach(client, fresh, outcome, progress);
    }
  } finally {
    progress.finish();
  }
}
