import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { DEFAULT_ACCOUNT, FailureType, idempotencyKey, type ChargeInput, type ChargeView } from '../contract';
import { enterStep } from '../db/transitions';
import type { ActivityDeps } from './deps';

export function createChargeActivity({ db, billing, pricing }: ActivityDeps) {
  return async function charge({ id }: ChargeInput): Promise<ChargeView> {
    const { attempt } = Context.current().info;
    if (!(await enterStep(db, id, 'charge', attempt)) && !(await db.record.findUnique({ where: { id }, select: { id: true } }))) {
      throw ApplicationFailure.nonRetryable(`record ${id} does not exist`, FailureType.RecordNotFound);
    }
    const key = idempotencyKey.charge(id);
    const result = await db.$transaction(async (tx) => {
      const inserted = await tx.charge.createMany({
        data: [{ recordId: id, idempotencyKey: key, amountCents: pricing.priceCents, currency: pricing.currency, status: 'charged' }],
        skipDuplicates: true,
      });
      if (inserted.count === 0) {
        // Counted in the row, not in process memory, so the metric is right across workers and restarts.
        const row = await tx.charge.update({ where: { recordId: id }, data: { duplicateAttempts: { increment: 1 } } });
        return { row, created: false };
      }
      // Inside the transaction: if the provider call fails, the row goes with it and the retry calls
      // again with the same key, which the provider deduplicates.
      const { providerRef } = await billing.charge({ key, recordId: id, accountId: DEFAULT_ACCOUNT, customerId: null, amountCents: pricing.priceCents, currency: pricing.currency });
      const row = await tx.charge.update({ where: { recordId: id }, data: { providerRef } });
      return { row, created: true };
    });
    Context.current().log.info(result.created ? 'charged' : 'already charged; billing skipped', { recordId: id, step: 'charge', key });
    const { row, created } = result;
    return { idempotencyKey: row.idempotencyKey, amountCents: row.amountCents, currency: row.currency, status: row.status, providerRef: row.providerRef, created };
  };
}
