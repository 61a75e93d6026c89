import type { DbClient } from './client';

/**
 * The account `default` always exists (DESIGN §11): every process that ingests or bills makes sure
 * of it at start, so a fresh database, or one migrated from before accounts, needs no seeding step.
 * Its price stays null (PRICE_CENTS) unless an admin sets one.
 */
export async function ensureDefaultAccount(db: DbClient, currency: string): Promise<void> {
  await db.account.createMany({ data: [{ id: 'default', name: 'Default', currency }], skipDuplicates: true });
}
