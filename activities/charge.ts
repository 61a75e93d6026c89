/**
 * The charge step (DESIGN §4, G2): the ledger row is the source of truth and the outbox. One
 * statement moves the record into the step, inserts its charge (or finds it) and counts a duplicate
 * attempt; a provider that bills outside the ledger is then called outside any transaction with the
 * charge's key, and the row becomes `charged`. A retry that finds the charge `pending` reports again
 * with the same key (the provider deduplicates), unless the provider's deduplication window has
 * passed: then a second report could bill twice, so the record is parked instead.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType, idempotencyKey, type ChargeInput, type ChargeView } from '../contract';
import { countEach } from '../db/metrics';
import { sql } from '../db/sql';
import { transitionCtes } from '../db/transitions';
import type { ActivityDeps } from './deps';

interface ChargeRow {
  record_found: boolean;
  created: boolean;
  idempotency_key: string | null;
  account_id: string | null;
  amount_cents: number | null;
  currency: string | null;
  status: string | null;
  provider_ref: string | null;
  created_at: Date | null;
  customer_id: string | null;
}

export function createChargeActivity({ db, billing, pricing }: ActivityDeps) {
  const external = billing.reportsCharges;

  async function countDuplicate(id: string): Promise<Omit<ChargeRow, 'record_found' | 'created' | 'customer_id'>> {
    const [row] = await db.query<Omit<ChargeRow, 'record_found' | 'created' | 'customer_id'>>(sql`
      WITH seen AS (
        UPDATE charges SET duplicate_attempts = duplicate_attempts + 1 WHERE record_id = ${id}
        RETURNING idempotency_key, account_id, amount_cents, currency, status, provider_ref, created_at
      ), ${countEach('prevented', 'seen', 'duplicate_charges_prevented_total')}
      SELECT * FROM seen`);
    if (!row) throw new Error(`charge of record ${id} vanished between two statements`);
    return row;
  }

  return async function charge({ id }: ChargeInput): Promise<ChargeView> {
    const { attempt } = Context.current().info;
    const key = idempotencyKey.charge(id);
    const enter = transitionCtes(id, { from: ['received', 'processing'], to: 'processing', step: 'charge', actor: 'system', attempts: attempt });
    const [written] = await db.query<ChargeRow>(sql`
      WITH ${enter},
      rec AS (
        SELECT r.id, r.account_id,
               COALESCE(r.price_cents, a.price_cents, ${pricing.priceCents}::int) AS amount,
               COALESCE(r.currency, a.currency, ${pricing.currency}) AS currency,
               a.stripe_customer_id
        FROM records r LEFT JOIN accounts a ON a.id = r.account_id WHERE r.id = ${id}
      ),
      made AS (
        INSERT INTO charges (id, record_id, idempotency_key, account_id, amount_cents, currency, status, billed_via, created_at, charged_at)
        SELECT gen_random_uuid(), rec.id, ${key}, rec.account_id, rec.amount, rec.currency,
               CASE WHEN ${external} THEN 'pending' ELSE 'charged' END, ${billing.name}, now(),
               CASE WHEN ${external} THEN NULL ELSE now() END
        FROM rec
        ON CONFLICT DO NOTHING
        RETURNING idempotency_key, account_id, amount_cents, currency, status, provider_ref, created_at
      ),
      -- Counted in the row, not in process memory, so duplicate_charges_prevented_total is right across workers and restarts.
      seen AS (
        UPDATE charges SET duplicate_attempts = duplicate_attempts + 1
        WHERE record_id = ${id} AND NOT EXISTS (SELECT 1 FROM made)
        RETURNING idempotency_key, account_id, amount_cents, currency, status, provider_ref, created_at
      ),
      ${countEach('counted', 'made', 'charges_total')},
      ${countEach('prevented', 'seen', 'duplicate_charges_prevented_total')},
      found AS (SELECT * FROM made UNION ALL SELECT * FROM seen)
      SELECT EXISTS (SELECT 1 FROM rec) AS record_found, EXISTS (SELECT 1 FROM made) AS created,
             found.*, (SELECT stripe_customer_id FROM rec) AS customer_id
      FROM (SELECT 1) one LEFT JOIN found ON true`);
    if (!written?.record_found) throw ApplicationFailure.nonRetryable(`record ${id} does not exist`, FailureType.RecordNotFound);
    // A concurrent attempt inserted the charge after this statement's snapshot was taken: read it afresh.
    const row = written.status ? written : { ...written, ...(await countDuplicate(id)) };
    const view: ChargeView = {
      idempotencyKey: key,
      amountCents: row.amount_cents ?? 0,
      currency: row.currency ?? pricing.currency,
      status: row.status ?? 'pending',
      providerRef: row.provider_ref,
      created: row.created,
    };
    if (row.status !== 'pending') {
      Context.current().log.info(row.created ? 'charged' : 'already charged; billing skipped', { recordId: id, step: 'charge', key });
      return view;
    }
    const window = billing.dedupWindowMs;
    if (window !== null && row.created_at && Date.now() - row.created_at.getTime() > window) {
      throw ApplicationFailure.nonRetryable(
        `charge ${key} has been pending longer than ${billing.name}'s deduplication window: reporting it again could bill twice; check the provider, then resolve the record`,
        FailureType.BillingWindowPassed,
      );
    }
    const { providerRef } = await billing.charge({
      key,
      recordId: id,
      accountId: row.account_id ?? '',
      customerId: row.customer_id,
      amountCents: view.amountCents,
      currency: view.currency,
    });
    await db.execute(sql`
      UPDATE charges SET status = 'charged', provider_ref = ${providerRef}, charged_at = now()
      WHERE record_id = ${id} AND status = 'pending'`);
    Context.current().log.info('charged', { recordId: id, step: 'charge', key, billedVia: billing.name });
    return { ...view, status: 'charged', providerRef };
  };
}
