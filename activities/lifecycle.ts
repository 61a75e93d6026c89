/**
 * Transitions the workflow decides on: parking a record for an operator, resuming it, and
 * abandoning it with its refund. Each is one atomic phase and safe to repeat.
 */
import {
  idempotencyKey,
  type AbandonInput,
  type AbandonResult,
  type ParkInput,
  type ParkResult,
  type RecordStatus,
  type RejectedSignalInput,
  type ResumeInput,
} from '../contract';
import { releaseReservation } from '../db/accounts';
import { appendEvent, transition } from '../db/transitions';
import type { ActivityDeps } from './deps';

export function createLifecycleActivities({ db, billing }: ActivityDeps) {
  /**
   * Parks the record unless it has moved on: a persist whose commit landed but whose attempts all
   * failed afterwards leaves it `completed`, and the returned status tells the workflow so. A
   * workflow started without a row (by hand, not by ingest) parks in Temporal alone.
   */
  async function park({ id, investigation, attempts }: ParkInput): Promise<ParkResult> {
    await transition(db, id, {
      attempts: attempts ?? undefined,
      from: ['received', 'processing'],
      to: 'needs_investigation',
      step: investigation.step,
      actor: 'system',
      lastError: investigation.lastError,
      reason: investigation.reason,
      detail: { reason: investigation.reason },
    });
    const row = await db.record.findUnique({ where: { id }, select: { attempts: true, status: true } });
    return row ? { attempts: row.attempts, status: row.status as RecordStatus } : { attempts: attempts ?? 0, status: 'needs_investigation' };
  }

  async function resume({ id, step }: ResumeInput): Promise<void> {
    await transition(db, id, { from: ['needs_investigation'], to: 'processing', step, actor: 'operator', attempts: 0, reason: null, detail: { action: 'retry' } });
  }

  /** Refund at most once (key `refund-<id>`), then close the record as failed, in one transaction. */
  async function abandon({ id, reason }: AbandonInput): Promise<AbandonResult> {
    return db.$transaction(async (tx) => {
      const key = idempotencyKey.refund(id);
      const claimed = await tx.charge.updateMany({
        where: { recordId: id, status: 'charged' },
        data: { status: 'refunded', refundKey: key, refundedAt: new Date() },
      });
      if (claimed.count === 1) {
        const charge = await tx.charge.findUniqueOrThrow({ where: { recordId: id } });
        const { providerRef } = await billing.refund({ key, chargeKey: charge.idempotencyKey, chargeRef: charge.providerRef, recordId: id, accountId: charge.accountId, customerId: null, amountCents: charge.amountCents, currency: charge.currency });
        await tx.charge.update({ where: { recordId: id }, data: { refundRef: providerRef } });
      }
      const closed = await transition(tx, id, { from: ['needs_investigation'], to: 'failed', step: null, actor: 'operator', reason, detail: { action: 'abandon', reason, refunded: claimed.count === 1 } });
      // Refunded, or never charged: the record's price goes back to its account's budget, once (G9).
      // A pending charge may have been billed, so its reservation stays.
      if (closed && (claimed.count === 1 || (await tx.charge.count({ where: { recordId: id } })) === 0)) await releaseReservation(tx, id);
      return { refunded: claimed.count === 1 };
    });
  }

  async function recordRejectedSignal({ id, status, step, payload, problem }: RejectedSignalInput): Promise<void> {
    await appendEvent(db, id, { status, step, actor: 'operator', detail: { rejectedSignal: 'resolve', payload: payload ?? null, problem } });
  }

  return { park, resume, abandon, recordRejectedSignal };
}
