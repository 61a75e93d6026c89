/**
 * The degradation tiers (DESIGN §13), tried in the order given: `cache` reuses the output stored
 * for an identical input (same account, same input hash, a model of this chain) without calling a
 * model; `rules` derives one from the text. Each writes the record's output as the inference step
 * would (first writer wins), marked with its tier, so G3 holds whatever served it: a record that
 * already has an output gets that one back.
 */
import { ApplicationFailure } from '@temporalio/common';
import { FailureType, idempotencyKey, type DegradationTier, type DegradeInput, type StoredOutput } from '../contract';
import { sql, type Sql } from '../db/sql';
import { transitionCtes } from '../db/transitions';
import type { ActivityDeps } from './deps';
import { hashOf, viewOf, type OutputRow } from './outputs';
import { rulesOutput } from './rules';

const RULES_PROVIDER = 'rules';
const RULES_MODEL = 'rules-2026-12-01';

export function createDegradeActivity({ db, providers, rulesConfidence }: ActivityDeps) {
  const models = [...providers.values()].map((p) => p.config.model);

  /** The statement that writes the tier's output, given a `src` CTE of at most one candidate row. */
  async function serve(id: string, source: Sql): Promise<StoredOutput | null> {
    const enter = transitionCtes(id, { from: ['received', 'processing'], to: 'processing', step: 'inference', actor: 'system' });
    const rows = await db.query<OutputRow & { created: boolean }>(sql`
      WITH ${enter}, src AS (${source}),
      made AS (
        INSERT INTO inference_outputs (id, record_id, idempotency_key, provider, model, output, output_hash, confidence, tier)
        SELECT gen_random_uuid(), ${id}, ${idempotencyKey.inference(id)}, provider, model, output, output_hash, confidence, tier FROM src
        ON CONFLICT DO NOTHING
        RETURNING idempotency_key, provider, model, output, confidence, tier
      )
      SELECT made.*, true AS created FROM made
      UNION ALL
      SELECT idempotency_key, provider, model, output, confidence, tier, false FROM inference_outputs WHERE record_id = ${id} AND NOT EXISTS (SELECT 1 FROM made)`);
    const row = rows[0];
    return row ? viewOf(row, row.created) : null;
  }

  const tiers: Record<DegradationTier, (id: string) => Promise<StoredOutput | null>> = {
    cache: (id) =>
      serve(id, sql`
        SELECT o.provider, o.model, o.output, o.output_hash, o.confidence, 'cache' AS tier
        FROM records me JOIN records r ON r.account_id = me.account_id AND r.input_hash = me.input_hash AND r.id <> me.id
        JOIN inference_outputs o ON o.record_id = r.id
        WHERE me.id = ${id} AND o.tier = 'model' AND o.model = ANY(${models}::text[])
        ORDER BY o.created_at DESC LIMIT 1`),
    rules: async (id) => {
      const [record] = await db.query<{ text: string }>(sql`SELECT input->>'text' AS text FROM records WHERE id = ${id}`);
      if (!record) throw ApplicationFailure.nonRetryable(`record ${id} does not exist`, FailureType.RecordNotFound);
      const output = rulesOutput(record.text, rulesConfidence);
      return serve(id, sql`
        SELECT ${RULES_PROVIDER}::text AS provider, ${RULES_MODEL}::text AS model, ${JSON.stringify(output)}::jsonb AS output,
               ${hashOf(output)}::text AS output_hash, ${output.confidence}::float8 AS confidence, 'rules' AS tier`);
    },
  };

  return async function degrade({ id, tiers: order }: DegradeInput): Promise<StoredOutput | null> {
    for (const tier of order) {
      const served = await tiers[tier](id);
      if (served) return served;
    }
    return null;
  };
}
