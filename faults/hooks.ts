/**
 * What a `crash` fault really does, and how it counts. A crash's attempts are counted in the
 * record's own audit trail (an event written just before the process dies), not by Temporal: a
 * local activity's attempt number lives in its workflow task and starts again at 1 when the worker
 * dies, and the workflow task's attempt does not move when the dead worker's sticky queue merely
 * times out. Tests that cannot lose their process swap the kill.
 */
import type { StepFault } from '../contract';
import { sql, type SqlClient } from '../db/sql';

export interface CrashSite {
  recordId: string;
  step: StepFault['step'];
  when: StepFault['when'];
}

export interface FaultHooks {
  /** How many injected crashes this site has had. */
  crashesSoFar: (site: CrashSite) => Promise<number>;
  /** Records the crash in the record's trail, then ends the worker process at once, as a real crash would. */
  crash: (site: CrashSite) => Promise<void>;
}

const detailOf = ({ step, when }: CrashSite) => JSON.stringify({ injectedCrash: { step, when } });

export function processFaultHooks(db: SqlClient, kill: () => never | void = () => process.kill(process.pid, 'SIGKILL')): FaultHooks {
  return {
    crashesSoFar: async (site) => {
      const [row] = await db.query<{ n: number }>(sql`
        SELECT count(*)::int AS n FROM record_events WHERE record_id = ${site.recordId} AND detail @> ${detailOf(site)}::jsonb`);
      return row?.n ?? 0;
    },
    crash: async (site) => {
      await db.execute(sql`
        INSERT INTO record_events (record_id, from_status, to_status, step, actor, detail)
        SELECT id, status, status, step, 'system', ${detailOf(site)}::jsonb FROM records WHERE id = ${site.recordId}`);
      return kill();
    },
  };
}
