import type { Account } from '../prisma/generated/client';
import type { DbClient } from './client';

/**
 * The account `default` always exists (DESIGN §11): every process that ingests or bills makes sure
 * of it at start, so a fresh database, or one migrated from before accounts, needs no seeding step.
 * Its price stays null (PRICE_CENTS) unless an admin sets one.
 */
export async function ensureDefaultAccount(db: DbClient, currency: string): Promise<void> {
  await db.account.createMany({ data: [{ id: 'default', name: 'Default', currency }], skipDuplicates: true });
}

/** The first day of the current month in UTC: the month budgets count. */
export function currentMonth(now = new Date()): Date {
  return new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
}

/** What this month's records reserved against the account's budget, and what is left of it. */
export function budgetOf(account: Pick<Account, 'budgetCents' | 'budgetMonth' | 'reservedCents'>, month = currentMonth()) {
  const reservedCents = account.budgetMonth?.getTime() === month.getTime() ? account.reservedCents : 0;
  return {
    month: month.toISOString().slice(0, 10),
    budgetCents: account.budgetCents,
    reservedCents,
    remainingCents: account.budgetCents === null ? null : Math.max(0, account.budgetCents - reservedCents),
  };
}
