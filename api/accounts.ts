/**
 * Accounts and keys (DESIGN §11), for admin keys only. A budget is never set below what this
 * month's records already reserved: the check and the change happen under the account row's lock,
 * the same lock ingest's reservation takes, so neither can slip past the other.
 */
import { Router, type Request, type Response } from 'express';
import { createAccountBodySchema, createKeyBodySchema, patchAccountBodySchema, accountIdSchema } from '../contract';
import type { Db, DbClient } from '../db/client';
import type { Account } from '../prisma/generated/client';
import { budgetOf } from '../db/accounts';
import { sql } from '../db/sql';
import { allow, isStaticKeyId, newKey, type KeyStore } from './auth';
import { invalid, Problem } from './problem';

export interface AccountRoutesDeps {
  db: Db;
  keys: KeyStore;
  /** PRICE_CENTS and CURRENCY: what an account that sets none pays in. */
  defaultCurrency: string;
}

function accountView(account: Account) {
  const { month, reservedCents, remainingCents } = budgetOf(account);
  return {
    id: account.id,
    name: account.name,
    priceCents: account.priceCents,
    currency: account.currency,
    budgetCents: account.budgetCents,
    stripeCustomerId: account.stripeCustomerId,
    month,
    reservedCents,
    remainingCents,
    createdAt: account.createdAt,
    updatedAt: account.updatedAt,
  };
}

function accountParam(req: Request<{ account: string }>): string {
  const id = accountIdSchema.safeParse(req.params.account);
  if (!id.success) throw invalid(id.error);
  return id.data;
}

async function liveAccount(db: DbClient, id: string): Promise<Account> {
  const account = await db.account.findFirst({ where: { id, deletedAt: null } });
  if (!account) throw new Problem('not_found', `no account ${id}`);
  return account;
}

const RESERVED_THIS_MONTH = (id: string) => sql`
  SELECT CASE WHEN budget_month = date_trunc('month', timezone('UTC', now()))::date THEN reserved_cents ELSE 0 END AS reserved
  FROM accounts WHERE id = ${id} AND deleted_at IS NULL FOR UPDATE`;

export function accountRoutes({ db, keys, defaultCurrency }: AccountRoutesDeps): Router {
  const router = Router();
  router.use(['/accounts', '/keys'], allow('admin'));

  router.post('/accounts', async (req: Request, res: Response) => {
    const body = createAccountBodySchema.safeParse(req.body);
    if (!body.success) throw invalid(body.error);
    const { id, name, priceCents, currency, budgetCents, stripeCustomerId } = body.data;
    const created = await db.account.createManyAndReturn({
      data: [{ id, name, priceCents: priceCents ?? null, currency: currency ?? defaultCurrency, budgetCents: budgetCents ?? null, stripeCustomerId: stripeCustomerId ?? null }],
      skipDuplicates: true,
    });
    if (!created[0]) throw new Problem('conflict', `account ${id} already exists`);
    res.status(201).json(accountView(created[0]));
  });

  router.get('/accounts', async (_req: Request, res: Response) => {
    const accounts = await db.account.findMany({ where: { deletedAt: null }, orderBy: { id: 'asc' } });
    res.json({ accounts: accounts.map(accountView) });
  });

  router.get('/accounts/:account', async (req: Request<{ account: string }>, res: Response) => {
    res.json(accountView(await liveAccount(db, accountParam(req))));
  });

  router.patch('/accounts/:account', async (req: Request<{ account: string }>, res: Response) => {
    const id = accountParam(req);
    const patch = patchAccountBodySchema.safeParse(req.body);
    if (!patch.success) throw invalid(patch.error);
    const updated = await db.$transaction(async (tx) => {
      const [locked] = await tx.$queryRaw<Array<{ reserved: number }>>(RESERVED_THIS_MONTH(id));
      if (!locked) throw new Problem('not_found', `no account ${id}`);
      const budget = patch.data.budgetCents;
      if (budget !== undefined && budget !== null && budget < locked.reserved) {
        throw new Problem('conflict', `a budget of ${budget} cents is below the ${locked.reserved} cents this month's records already reserved; nothing was changed`);
      }
      return tx.account.update({ where: { id }, data: patch.data });
    });
    res.json(accountView(updated));
  });

  router.post('/accounts/:account/keys', async (req: Request<{ account: string }>, res: Response) => {
    const account = accountParam(req);
    const body = createKeyBodySchema.safeParse(req.body);
    if (!body.success) throw invalid(body.error);
    await liveAccount(db, account);
    const { id, key, hash } = newKey();
    const row = await db.apiKey.create({ data: { id, accountId: account, role: body.data.role, hash } });
    res.status(201).json({ id: row.id, account: row.accountId, role: row.role, key, createdAt: row.createdAt });
  });

  router.delete('/keys/:keyId', async (req: Request<{ keyId: string }>, res: Response) => {
    const { keyId } = req.params;
    if (isStaticKeyId(keyId)) throw new Problem('conflict', `key ${keyId} comes from API_KEYS: remove it there and restart the API processes`);
    const [revoked] = await db.apiKey.updateManyAndReturn({ where: { id: keyId, revokedAt: null }, data: { revokedAt: new Date() } });
    if (!revoked) {
      const known = await db.apiKey.findUnique({ where: { id: keyId }, select: { revokedAt: true } });
      throw known ? new Problem('conflict', `key ${keyId} is already revoked`) : new Problem('not_found', `no key ${keyId}`);
    }
    // This process refuses it from now on; the others within KEY_CACHE_TTL_MS.
    keys.forget();
    res.json({ id: revoked.id, account: revoked.accountId, role: revoked.role, revokedAt: revoked.revokedAt });
  });

  return router;
}
