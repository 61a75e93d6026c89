/** A stored output as the inference and degradation steps read it back. */
import { createHash } from 'node:crypto';
import type { ModelOutput, StoredOutput, Tier } from '../contract';

/** inference_outputs, as a raw statement returns it. */
export interface OutputRow {
  idempotency_key: string;
  provider: string;
  model: string;
  output: ModelOutput;
  confidence: number;
  tier: string;
}

export const viewOf = (row: OutputRow, created: boolean): StoredOutput => ({
  idempotencyKey: row.idempotency_key,
  provider: row.provider,
  model: row.model,
  output: row.output,
  confidence: row.confidence,
  tier: row.tier as Tier,
  created,
});

export const hashOf = (output: ModelOutput): string => createHash('sha256').update(JSON.stringify(output)).digest('hex');
