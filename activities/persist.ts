/**
 * The persist step (DESIGN §4, G3): one statement writes the record's one result (the stored
 * output, or an operator's correction of it) and marks the record completed, passing through the
 * step in its audit trail. Doing it twice is a no-op: the result is unique per record and only a
 * record still processing or parked moves to completed.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType, type PersistInput, type PersistResult } from '../contract';
import { countEach } from '../db/metrics';
import { sql } from '../db/sql';
import { transitionCtes } from '../db/transitions';
import type { ActivityDeps } from './deps';
import { hashOf } from './outputs';

export function createPersistActivity({ db }: ActivityDeps) {
  return async function persist({ id, decision }: PersistInput): Promise<PersistResult> {
    const { attempt } = Context.current().info;
    const correction = decision?.action === 'correct' ? decision.output : null;
    const keyId = decision?.keyId ?? null;
    const complete = transitionCtes(id, {
      // An operator's approve or correct completes a record that is still parked at inference.
      from: decision ? ['processing', 'needs_investigation'] : ['processing'],
      to: 'completed',
      step: null,
      through: 'persist',
      actor: decision ? 'operator' : 'system',
      attempts: attempt,
      lastError: null,
      reason: null,
      detail: decision ? { action: decision.action, keyId } : undefined,
      onlyIf: sql`(EXISTS (SELECT 1 FROM result) OR EXISTS (SELECT 1 FROM record_results WHERE record_id = ${id}))`,
    });
    const [row] = await db.query<{ has_source: boolean; completed: boolean }>(sql`
      WITH o AS (SELECT output, output_hash, confidence, tier FROM inference_outputs WHERE record_id = ${id}),
      result AS (
        INSERT INTO record_results (id, record_id, source, tier, output, output_hash, confidence, actor_key_id)
        SELECT gen_random_uuid(), ${id},
               CASE WHEN ${correction !== null} THEN 'operator' ELSE COALESCE(o.tier, 'model') END,
               COALESCE(o.tier, 'model'),
               COALESCE(${correction ? JSON.stringify(correction) : null}::jsonb, o.output),
               COALESCE(${correction ? hashOf(correction) : null}, o.output_hash),
               COALESCE(${correction?.confidence ?? null}::float8, o.confidence),
               ${keyId}
        FROM (SELECT 1) one LEFT JOIN o ON true
        WHERE ${correction !== null} OR EXISTS (SELECT 1 FROM o)
        ON CONFLICT (record_id) DO NOTHING
        RETURNING tier
      ), ${countEach('counted', 'result', 'results_total', sql`jsonb_build_object('tier', tier)`)}, ${complete}
      SELECT ${correction !== null} OR EXISTS (SELECT 1 FROM o) AS has_source, EXISTS (SELECT 1 FROM t_upd) AS completed`);
    if (!row?.has_source) throw ApplicationFailure.nonRetryable(`record ${id} has no stored output to persist`, FailureType.InvalidInput);
    Context.current().log.info(row.completed ? 'record completed' : 'record already completed', { recordId: id, step: 'persist' });
    return { completed: row.completed };
  };
}
