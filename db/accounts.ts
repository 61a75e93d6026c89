import type { Account } from '../prisma/generated/client';
import type { DbClient } from './client';
import { sql, type SqlClient } from './sql';

/**
 * The account `default` always exists (DESIGN §11): every process that ingests or bills makes sure
 * of it at start, so a fresh database, or one migrated from before accounts, needs no seeding step.
 * Its price stays null (PRICE_CENTS) unless an admin sets one.
 */
export async function ensureDefaultAccount(db: Pick<SqlClient, 'execute'>, currency: string): Promise<void> {
  await db.execute(sql`
    INSERT INTO accounts (id, name, currency, updated_at) VALUES ('default', 'Default', ${currency}, now())
    ON CONFLICT (id) DO NOTHING`);
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

/**
 * Gives a record's price back to its account's budget, when it was reserved in the month the
 * budget now counts (a reservation of an earlier month ended with that month).
 */
export async function releaseReservation(db: DbClient, recordId: string): Promise<void> {
  await db.$executeRaw(sql`
    UPDATE accounts a SET reserved_cents = GREATEST(0, a.reserved_cents - r.price_cents)
    FROM records r
    WHERE r.id = ${recordId} AND a.id = r.account_id AND r.price_cents IS NOT NULL AND a.budget_cents IS NOT NULL
      AND a.budget_month = date_trunc('month', r.created_at)::date`);
}
