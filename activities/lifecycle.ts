/**
 * Transitions the workflow decides on: parking a record for an operator, resuming it, and
 * abandoning it with its refund. Each is one atomic phase and safe to repeat.
 */
import { ApplicationFailure } from '@temporalio/common';
import {
  FailureType,
  idempotencyKey,
  type AbandonInput,
  type AbandonResult,
  type ParkInput,
  type ParkResult,
  type RecordStatus,
  type RejectedSignalInput,
  type ResumeInput,
} from '../contract';
import { countEach } from '../db/metrics';
import { sql } from '../db/sql';
import { appendEvent, transition, transitionCtes } from '../db/transitions';
import type { ActivityDeps } from './deps';

interface RefundRow {
  record_id: string;
  account_id: string;
  idempotency_key: string;
  amount_cents: number;
  currency: string;
  provider_ref: string | null;
  customer_id: string | null;
}

export function createLifecycleActivities({ db, billing }: ActivityDeps) {
  /**
   * Parks the record unless it has moved on: a persist whose commit landed but whose attempts all
   * failed afterwards leaves it `completed`, and the returned status tells the workflow so. A
   * workflow started without a row (by hand, not by ingest) parks in Temporal alone.
   */
  async function park({ id, investigation, attempts }: ParkInput): Promise<ParkResult> {
    const parked = transitionCtes(id, {
      attempts: attempts ?? undefined,
      from: ['received', 'processing'],
      to: 'needs_investigation',
      step: investigation.step,
      actor: 'system',
      lastError: investigation.lastError,
      reason: investigation.reason,
      detail: { reason: investigation.reason, failureType: investigation.failureType ?? null },
    });
    const [row] = await db.query<{ attempts: number; status: string }>(sql`
      WITH ${parked}
      SELECT new_attempts AS attempts, new_status AS status FROM t_upd
      UNION ALL
      SELECT attempts, status FROM records WHERE id = ${id} AND NOT EXISTS (SELECT 1 FROM t_upd)`);
    return row ? { attempts: row.attempts, status: row.status as RecordStatus } : { attempts: attempts ?? 0, status: 'needs_investigation' };
  }

  async function resume({ id, step, keyId }: ResumeInput): Promise<void> {
    await transition(db, id, { from: ['needs_investigation'], to: 'processing', step, actor: 'operator', attempts: 0, reason: null, detail: { action: 'retry', keyId: keyId ?? null } });
  }

  /**
   * Ends the record `failed` in one statement that also claims its refund (key `refund-<id>`, at most
   * once) and gives its price back to the account's budget; then reports the refund to the billing
   * provider outside the transaction. A retry finds the refund claimed but not reported and reports
   * it again with the same key.
   */
  async function abandon({ id, reason, keyId }: AbandonInput): Promise<AbandonResult> {
    const failed = transitionCtes(id, {
      from: ['needs_investigation'],
      to: 'failed',
      step: null,
      actor: 'operator',
      reason,
      detail: { action: 'abandon', reason, keyId: keyId ?? null },
    });
    const [row] = await db.query<{ refunded: boolean }>(sql`
      WITH ${failed},
      refund AS (
        UPDATE charges SET status = 'refunded', refund_key = ${idempotencyKey.refund(id)}, refunded_at = now()
        WHERE record_id = ${id} AND status IN ('pending', 'charged') AND EXISTS (SELECT 1 FROM t_upd)
        RETURNING 1
      ),
      ${countEach('counted', 'refund', 'refunds_total')},
      released AS (
        UPDATE accounts a SET reserved_cents = a.reserved_cents - r.price_cents
        FROM records r
        WHERE r.id = ${id} AND a.id = r.account_id AND r.price_cents IS NOT NULL AND EXISTS (SELECT 1 FROM t_upd)
          AND a.budget_month = date_trunc('month', r.created_at)::date
        RETURNING 1
      )
      SELECT EXISTS (SELECT 1 FROM refund) AS refunded`);
    await reportRefund(id);
    return { refunded: row?.refunded ?? false };
  }

  /** A claimed refund not yet reported goes to the billing provider that took the charge (only one that reports charges). */
  async function reportRefund(id: string): Promise<void> {
    if (!billing.reportsCharges) return;
    const [charge] = await db.query<RefundRow>(sql`
      SELECT c.record_id, c.account_id, c.idempotency_key, c.amount_cents, c.currency, c.provider_ref, a.stripe_customer_id AS customer_id
      FROM charges c LEFT JOIN accounts a ON a.id = c.account_id
      WHERE c.record_id = ${id} AND c.status = 'refunded' AND c.refund_ref IS NULL AND c.billed_via = ${billing.name}`);
    if (!charge) return;
    const providerRef = await billing.refund({
      key: idempotencyKey.refund(id),
      chargeKey: charge.idempotency_key,
      chargeRef: charge.provider_ref,
      recordId: id,
      accountId: charge.account_id,
      customerId: charge.customer_id,
      amountCents: charge.amount_cents,
      currency: charge.currency,
    }).then(
      ({ providerRef: ref }) => ref,
      (err: unknown) => {
        // Refused for good (a charge the provider never took, or past its window to cancel): kept on the
        // row for the operator, who credits the customer by hand; retrying cannot change the answer.
        if (!(err instanceof ApplicationFailure && err.type === FailureType.BillingRejected)) throw err;
        return `not refunded at ${billing.name}: ${err.message}`;
      },
    );
    await db.execute(sql`UPDATE charges SET refund_ref = ${providerRef} WHERE record_id = ${id}`);
  }

  async function recordRejectedSignal({ id, status, step, payload, problem }: RejectedSignalInput): Promise<void> {
    await appendEvent(db, id, { status, step, actor: 'operator', detail: { rejectedSignal: 'resolve', payload: payload ?? null, problem } });
  }

  return { park, resume, abandon, recordRejectedSignal };
}
