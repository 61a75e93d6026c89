/**
 * GET /v1/usage (DESIGN §6, §11): per account in scope, what its records did in a period and what
 * they brought in and cost. Money is in cents of the account's currency; model cost in millionths
 * (micros) of the providers' price currency; the margin in micros, the two taken to be one currency.
 */
import { Router, type Request, type Response } from 'express';
import type { Db } from '../db/client';
import { budgetOf, currentMonth } from '../db/accounts';
import { allow, authOf } from './auth';
import { invalid, Problem } from './problem';
import { usageQuerySchema } from './schemas';
import { accountsIn } from './scope';

interface ChargeRow {
  account_id: string;
  status: string;
  cents: number;
}

interface ModelCallRow {
  account_id: string;
  provider: string;
  calls: number;
  tokens_in: number;
  tokens_out: number;
  cost_micros: number;
}

const MICROS_PER_CENT = 10_000;

// Sums as float8: exact to 2^53, and JSON has no bigint.
/** A bare date is that day's first instant in UTC. */
const instant = (value: string): Date => new Date(value.length === 10 ? `${value}T00:00:00Z` : value);

export function usageRoutes({ db }: { db: Db }): Router {
  const router = Router();
  router.get('/usage', allow('submit'), async (req: Request, res: Response) => {
    const query = usageQuerySchema.safeParse(req.query);
    if (!query.success) throw invalid(query.error);
    const from = query.data.from === undefined ? currentMonth() : instant(query.data.from);
    const to = query.data.to === undefined ? new Date() : instant(query.data.to);
    if (from >= to) throw new Problem('invalid_request', '`from` must be before `to`', { issues: [{ code: 'custom', path: ['from'], message: 'must be before to' }] });
    const scope = accountsIn(authOf(res), query.data.account);
    const accounts = await db.account.findMany({ where: { deletedAt: null, ...(scope ? { id: { in: scope } } : {}) }, orderBy: { id: 'asc' } });
    if (scope && accounts.length === 0) throw new Problem('not_found', `no account ${scope.join(', ')}`);
    const ids = accounts.map((a) => a.id);
    const period = { gte: from, lt: to };
    const [records, charges, calls] = await Promise.all([
      db.record.groupBy({ by: ['accountId', 'status'], where: { accountId: { in: ids }, createdAt: period }, _count: { _all: true } }),
      // By the record's account: the record row is what an account owns.
      db.$queryRaw<ChargeRow[]>`
        SELECT r.account_id, c.status, COALESCE(sum(c.amount_cents), 0)::float8 AS cents
        FROM charges c JOIN records r ON r.id = c.record_id
        WHERE r.account_id = ANY(${ids}::text[]) AND c.created_at >= ${from} AND c.created_at < ${to}
        GROUP BY r.account_id, c.status`,
      db.$queryRaw<ModelCallRow[]>`
        SELECT r.account_id, mc.provider, count(*)::int AS calls, COALESCE(sum(mc.tokens_in), 0)::float8 AS tokens_in,
               COALESCE(sum(mc.tokens_out), 0)::float8 AS tokens_out, COALESCE(sum(mc.cost_micros), 0)::float8 AS cost_micros
        FROM model_calls mc JOIN records r ON r.id = mc.record_id
        WHERE r.account_id = ANY(${ids}::text[]) AND mc.created_at >= ${from} AND mc.created_at < ${to}
        GROUP BY r.account_id, mc.provider ORDER BY r.account_id, mc.provider`,
    ]);
    const cents = (account: string, status: string) => charges.find((c) => c.account_id === account && c.status === status)?.cents ?? 0;
    res.json({
      from,
      to,
      accounts: accounts.map((account) => {
        const modelCalls = calls.filter((c) => c.account_id === account.id).map((c) => ({
          provider: c.provider,
          calls: c.calls,
          tokensIn: c.tokens_in,
          tokensOut: c.tokens_out,
          costMicros: c.cost_micros,
        }));
        const modelCostMicros = modelCalls.reduce((sum, c) => sum + c.costMicros, 0);
        const chargedCents = cents(account.id, 'charged');
        return {
          account: account.id,
          name: account.name,
          currency: account.currency,
          records: Object.fromEntries(records.filter((r) => r.accountId === account.id).map((r) => [r.status, r._count._all])),
          chargedCents,
          refundedCents: cents(account.id, 'refunded'),
          pendingCents: cents(account.id, 'pending'),
          modelCalls,
          modelCostMicros,
          marginMicros: chargedCents * MICROS_PER_CENT - modelCostMicros,
          budget: budgetOf(account),
        };
      }),
    });
  });
  return router;
}
