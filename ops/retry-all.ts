/**
 * `retry --all-investigating`: one retry per parked record, through the same API route as a
 * single retry. A low-confidence record is never retried (that would throw away a stored output
 * nobody approved): it is listed as skipped, for `approve` or `correct`. One record's failure (it
 * moved on meanwhile, its workflow is gone) is reported and the run goes on; the exit code tells a
 * script that something needs a look.
 */
import { ApiError, type ApiClient } from './api';
import { refOf } from './format';
import type { Progress } from './progress';
import type { RecordSummary } from './views';

interface RetryFailure {
  id: string;
  status: number;
  error: string;
  message: string;
}

export interface RetryAllOutcome {
  retried: string[];
  /** Low-confidence records: an operator approves or corrects them. */
  skipped: string[];
  failed: RetryFailure[];
}

const PAGE_SIZE = 100;
const LOW_CONFIDENCE = 'low_confidence';

/** What the API is sent: always with the account, which means the same record whatever the key's own account. */
const addressOf = (r: Pick<RecordSummary, 'account' | 'id'>): string => `${r.account}/${r.id}`;

function failureOf(id: string, err: unknown): RetryFailure {
  if (err instanceof ApiError) return { id, status: err.status, error: err.code, message: err.message };
  return { id, status: 0, error: 'unexpected', message: err instanceof Error ? err.message : String(err) };
}

async function retryOne(client: ApiClient, record: RecordSummary, outcome: RetryAllOutcome, progress: Progress): Promise<void> {
  const id = refOf(record);
  try {
    await client.resolve(addressOf(record), { action: 'retry' });
    outcome.retried.push(id);
  } catch (err) {
    const failure = failureOf(id, err);
    outcome.failed.push(failure);
    progress.note(`${id}: ${failure.message}`);
  }
  progress.advance();
}

/** The listing's cursor is (created_at, id): records leaving the list as they are retried move no page. */
export async function retryAllInvestigating(client: ApiClient, progress: Progress): Promise<RetryAllOutcome> {
  const outcome: RetryAllOutcome = { retried: [], skipped: [], failed: [] };
  try {
    let cursor: string | undefined;
    do {
      const page = await client.listRecords({ status: 'needs_investigation', limit: PAGE_SIZE, cursor });
      const [lowConfidence, others] = [page.records.filter((r) => r.reason === LOW_CONFIDENCE), page.records.filter((r) => r.reason !== LOW_CONFIDENCE)];
      outcome.skipped.push(...lowConfidence.map(refOf));
      progress.add(others.length);
      for (const record of others) await retryOne(client, record, outcome, progress);
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
  } finally {
    progress.finish();
  }
  return outcome;
}
