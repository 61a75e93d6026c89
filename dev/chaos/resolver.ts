/**
 * The operator: every record parked in `needs_investigation` is resolved through the HTTP resolve
 * route by a seeded coin per record and round: retry or abandon, or, for a record parked for low
 * confidence (where the workflow refuses a retry), approve or abandon. A record still parked with the
 * same row version a while after its signal is signalled again (the first may have reached the
 * workflow before it was ready to take it); from the third round on it is abandoned, so every
 * record ends.
 */
import type { ResolveAction } from '../../contract';
import type { ApiClient, ListedRecord } from './api-client';
import { isRunRecord } from './observe';
import { forEachConcurrently } from './pool';
import { createRandom } from './random';
import type { RunStats } from './stats';

const RESEND_AFTER_MS = 5_000;
const LAST_RETRY_ROUND = 2;
const CONCURRENCY = 4;
const NO_WORKFLOW = 'no running workflow';

interface Handled {
  version: string;
  round: number;
  sentAt: number;
}

export interface Resolver {
  /** Resolves what is parked now. */
  sweep: () => Promise<void>;
}

export interface ResolverOptions {
  api: ApiClient;
  seed: number;
  idPrefix: string;
  stats: RunStats;
}

export function createResolver({ api, seed, idPrefix, stats }: ResolverOptions): Resolver {
  const handled = new Map<string, Handled>();
  const ours = isRunRecord(idPrefix);
  // Keyed by what follows the run's prefix (the record's index), not by the id: a seed repeats its choices in every run.
  const decide = (record: ListedRecord, round: number): Extract<ResolveAction, { action: 'retry' | 'approve' | 'abandon' }> =>
    round <= LAST_RETRY_ROUND && createRandom(`${seed}/resolve/${record.id.slice(record.id.indexOf(idPrefix) + idPrefix.length)}/${round}`).chance(0.5)
      ? { action: record.reason === 'low_confidence' ? 'approve' : 'retry' }
      : { action: 'abandon', reason: `abandoned by the chaos harness (seed ${seed}, round ${round})` };

  async function resolveOne(record: ListedRecord): Promise<void> {
    const before = handled.get(record.id);
    const sameParking = before?.version === record.updatedAt;
    if (sameParking && Date.now() - before.sentAt < RESEND_AFTER_MS) return;
    const round = !before ? 1 : sameParking ? before.round : before.round + 1;
    const action = decide(record, round);
    const answer = await api.resolve(record.id, action);
    handled.set(record.id, { version: record.updatedAt, round, sentAt: Date.now() });
    if (answer.outcome === 'accepted') {
      if (sameParking) stats.resolutions.resent += 1;
      else stats.resolutions[action.action] += 1;
    } else if (answer.message.includes(NO_WORKFLOW)) {
      stats.orphaned.set(record.id, record.lastError ?? answer.message);
    }
  }

  return {
    async sweep() {
      const parked = (await api.listInvestigations()).filter((r) => ours(r.id));
      // A resolve that found no running workflow may have met one that a moment later was running again
      // (the reconciler) or had just closed: only a record still parked stays an orphan.
      const stillParked = new Set(parked.map((r) => r.id));
      for (const id of [...stats.orphaned.keys()]) if (!stillParked.has(id)) stats.orphaned.delete(id);
      await forEachConcurrently(
        parked.filter((r) => !stats.orphaned.has(r.id)),
        CONCURRENCY,
        resolveOne,
      );
    },
  };
}
