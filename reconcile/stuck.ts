/**
 * G4's proof: a record is stuck when its row says `received` or `processing` but no workflow is
 * running for it. Only rows quiet for a while are checked, so a record between its row insert
 * and its workflow start is not a false alarm, and the check stays cheap on a healthy system.
 */
import type { Client } from '@temporalio/client';
import { workflowIdFor } from '../contract';
import { sql, type SqlClient } from '../db/sql';

export interface StuckRecord {
  id: string;
  status: string;
  /** The workflow's state: `missing` when Temporal has no execution for the id. */
  workflow: string;
}

export async function findStuckRecords(db: Pick<SqlClient, 'query'>, temporal: Client, { quietForMs, limit }: { quietForMs: number; limit: number }): Promise<StuckRecord[]> {
  const candidates = await db.query<{ id: string; status: string }>(sql`
    SELECT id, status FROM records
    WHERE status IN ('received', 'processing') AND updated_at < ${new Date(Date.now() - quietForMs)}
    ORDER BY updated_at LIMIT ${limit}`);
  const checked = await Promise.all(
    candidates.map(async ({ id, status }) => {
      const workflow = await temporal.workflow
        .getHandle(workflowIdFor(id))
        .describe()
        .then((d) => d.status.name, (err: unknown) => (isNotFound(err) ? 'missing' : 'unknown'));
      return { id, status, workflow };
    }),
  );
  return checked.filter((r) => r.workflow !== 'RUNNING' && r.workflow !== 'unknown');
}

const isNotFound = (err: unknown): boolean => err instanceof Error && err.name === 'WorkflowNotFoundError';
