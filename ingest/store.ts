/**
 * The record row, written once (G1) with its price reserved against the account's budget (G9), in
 * one SQL statement. The reservation is a conditional UPDATE of the account row, which PostgreSQL
 * re-checks against the row's newest version when concurrent ingests queue on its lock: a budget
 * for ten records admits exactly ten, however many arrive at once.
 */
import type { RecordInput, Source } from '../contract';
import type { Db } from '../db/client';
import { countEach } from '../db/metrics';
import { sql } from '../db/sql';

export interface NewRecord {
  id: string;
  account: string;
  recordKey: string;
  source: Source;
  input: RecordInput;
  inputHash: string;
  memo: Record<string, unknown> | undefined;
  /** PRICE_CENTS: the price of an account that sets none. */
  defaultPriceCents: number;
}

export interface StoredRow {
  inputHash: string;
  status: string;
  memo: unknown;
  source: string;
}

export type StoreResult =
  | { kind: 'inserted' | 'found'; row: StoredRow }
  | { kind: 'over_budget'; budgetCents: number; remainingCents: number; priceCents: number }
  | { kind: 'no_account' };

interface StoreRow {
  account_found: boolean;
  inserted: boolean;
  reserved: boolean;
  input_hash: string | null;
  status: string | null;
  memo: unknown;
  source: string | null;
  price: number | null;
  budget_cents: number | null;
  reserved_cents: number | null;
}

// `month` is the UTC calendar month, read from the database's clock so every process agrees.
const STORE = (r: NewRecord) => sql`
  WITH m AS (SELECT date_trunc('month', timezone('UTC', now()))::date AS month),
  acct AS (
    SELECT a.id, COALESCE(a.price_cents, ${r.defaultPriceCents}::int) AS price, a.currency, a.budget_cents,
           CASE WHEN a.budget_month = m.month THEN a.reserved_cents ELSE 0 END AS reserved
    FROM accounts a, m WHERE a.id = ${r.account} AND a.deleted_at IS NULL
  ),
  found AS (SELECT input_hash, status, memo, source FROM records WHERE id = ${r.id}),
  reserve AS (
    UPDATE accounts a
    SET budget_month = m.month,
        reserved_cents = (CASE WHEN a.budget_month = m.month THEN a.reserved_cents ELSE 0 END) + acct.price
    FROM acct, m
    WHERE a.id = acct.id AND a.budget_cents IS NOT NULL AND NOT EXISTS (SELECT 1 FROM found)
      AND (CASE WHEN a.budget_month = m.month THEN a.reserved_cents ELSE 0 END) + acct.price <= a.budget_cents
    RETURNING a.id
  ),
  ins AS (
    INSERT INTO records (id, account_id, record_key, price_cents, currency, source, input, input_hash, memo, status, updated_at)
    SELECT ${r.id}, acct.id, ${r.recordKey}, acct.price, acct.currency, ${r.source}, ${JSON.stringify(r.input)}::jsonb,
           ${r.inputHash}, ${r.memo ? JSON.stringify(r.memo) : null}::jsonb, 'received', now()
    FROM acct
    WHERE NOT EXISTS (SELECT 1 FROM found) AND (acct.budget_cents IS NULL OR EXISTS (SELECT 1 FROM reserve))
    ON CONFLICT DO NOTHING
    RETURNING input_hash, status, memo, source
  ),
  ${countEach('counted', 'ins', 'records_total', sql`jsonb_build_object('status', status)`)},
  row AS (SELECT * FROM ins UNION ALL SELECT * FROM found)
  SELECT EXISTS (SELECT 1 FROM acct) AS account_found,
         EXISTS (SELECT 1 FROM ins) AS inserted,
         EXISTS (SELECT 1 FROM reserve) AS reserved,
         row.input_hash, row.status, row.memo, row.source,
         acct.price, acct.budget_cents, acct.reserved AS reserved_cents
  FROM (SELECT 1) one LEFT JOIN row ON true LEFT JOIN acct ON true`;

/** Gives back a reservation made for a row that a concurrent ingest of the same id wrote first. */
const RELEASE = (account: string, priceCents: number) => sql`
  UPDATE accounts SET reserved_cents = reserved_cents - ${priceCents}::int
  WHERE id = ${account} AND budget_month = date_trunc('month', timezone('UTC', now()))::date`;

/**
 * What the account has left now. The refusing statement's own snapshot may predate the reservation
 * that filled the budget (its UPDATE saw that row version, its SELECT did not), so this is read afresh.
 */
const LEFT = (account: string) => sql`
  SELECT budget_cents, CASE WHEN budget_month = date_trunc('month', timezone('UTC', now()))::date THEN reserved_cents ELSE 0 END AS reserved_cents
  FROM accounts WHERE id = ${account}`;

export async function storeRecord(db: Db, record: NewRecord): Promise<StoreResult> {
  const [row] = await db.$queryRaw<StoreRow[]>(STORE(record));
  if (!row?.account_found) return { kind: 'no_account' };
  if (row.inserted) return { kind: 'inserted', row: rowOf(row) };
  if (row.reserved) await db.$executeRaw(RELEASE(record.account, row.price ?? 0));
  if (row.input_hash !== null) return { kind: 'found', row: rowOf(row) };
  // Nothing inserted and nothing found: over budget, or a concurrent ingest of the same id won the insert.
  const written = await db.record.findUnique({ where: { id: record.id }, select: { inputHash: true, status: true, memo: true, source: true } });
  if (written) return { kind: 'found', row: written };
  const [left] = await db.$queryRaw<Array<Pick<StoreRow, 'budget_cents' | 'reserved_cents'>>>(LEFT(record.account));
  const budgetCents = left?.budget_cents ?? row.budget_cents ?? 0;
  return { kind: 'over_budget', budgetCents, remainingCents: Math.max(0, budgetCents - (left?.reserved_cents ?? row.reserved_cents ?? 0)), priceCents: row.price ?? 0 };
}

function rowOf(row: StoreRow): StoredRow {
  return { inputHash: row.input_hash ?? '', status: row.status ?? '', memo: row.memo, source: row.source ?? '' };
}
