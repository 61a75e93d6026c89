import { raw, sql, type Sql } from '../../db/sql';

type IdColumn = 'id' | 'record_id' | 'r.id';

/** Rows of this run only: a shared stack holds other records too. Its ids start with the prefix, HL7 ones after `hl7-`. */
export function ofRun(idPrefix: string, column: IdColumn): Sql {
  const col = raw(column);
  return sql`(starts_with(${col}, ${idPrefix}) OR starts_with(${col}, ${`hl7-${idPrefix}`}))`;
}

/** Events that parked a record; a rejected resolve signal is logged as an event that stays in `needs_investigation`. */
export const PARKING = sql`(to_status = 'needs_investigation' AND from_status IS DISTINCT FROM to_status)`;
