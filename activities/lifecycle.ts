/**
 * Transitions the workflow decides on: parking a record for an operator, resuming it, and
 * abandoning it with its refund. Each is one atomic phase and safe to repeat.
 */
import { idempotencyKey, type Investigation, type RecordStatus, type Step } from '../contract';
import { appendEvent, transition } from '../db/transitions';
import type { ActivityDeps } from './deps';

export interface ParkInput {
  id: string;
  investigation: Omit<Investigation, 'attempts'>;
}

export interface AbandonResult {
  refunded: boolean;
}

export function createLifecycleActivities({ db, billing }: ActivityDeps) {
  /**
   * Parks the record unless it has moved on: a persist whose commit landed but whose attempts all
   * failed afterwards leaves it `completed`, and the returned status tells the workflow so.
   */
  async function park({ id, investigation }: ParkInput): Promise<{ attempts: number; status: RecordStatus }> {
    await transition(db, id, {
      from: ['received', 'processing'],
      to: 'needs_investigation',
      step: investigation.step,
      actor: 'system',
      lastError: investigation.lastError,
      reason: investigation.reason,
      detail: { reason: investigation.reason },
    });
    const row = await db.record.findUniqueOrThrow({ where: { id }, select: { attempts: true, status: true } });
    return { attempts: row.attempts, status: row.status as RecordStatus };
  }

  async function resume({ id, step }: { id: string; step: Step }): Promise<void> {
    await transition(db, id, { from: ['needs_investigation'], to: 'processing', step, actor: 'operator', attempts: 0, reason: null, detail: { action: 'retry' } });
  }

  /** Refund at most once (key `refund-<id>`), then close the record as failed, in one transaction. */
  async function abandon({ id, reason }: { id: string; reason: string }): Promise<AbandonResult> {
    return db.$transaction(async (tx) => {
      const key = idempotencyKey.refund(id);
      const claimed = await tx.charge.updateMany({
        where: { recordId: id, status: 'charged' },
        data: { status: 'refunded', refundKey: key, refundedAt: new Date() },
      });
      if (claimed.count === 1) {
        const charge = await tx.charge.findUniqueOrThrow({ where: { recordId: id } });
        const { providerRef } = await billing.refund({ key, chargeRef: charge.providerRef ?? charge.idempotencyKey, recordId: id, amountCents: charge.amountCents, currency: charge.currency });
        await tx.charge.update({ where: { recordId: id }, data: { refundRef: providerRef } });
      }
      await transition(tx, id, { from: ['needs_investigation'], to: 'failed', step: null, actor: 'operator', reason, detail: { action: 'abandon', reason, refunded: claimed.count === 1 } });
      return { refunded: claimed.count === 1 };
    });
  }

  async function recordRejectedSignal({ id, status, step, payload, problem }: { id: string; status: RecordStatus; step: Step | null; payload: unknown; problem: string }): Promise<void> {
    await appendEvent(db, id, { status, step, actor: 'operator', detail: { rejectedSignal: 'resolve', payload: payload ?? null, problem } });
  }

  return { park, resume, abandon, recordRejectedSignal };
}
