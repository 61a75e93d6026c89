/**
 * GET /v1/review/summary (DESIGN §12): how many records wait for an operator, by reason and step, so
 * the console can show a count per reason without paging through the queue. Its own path, not
 * /v1/records/summary, where it would shadow a record whose id is `summary`.
 */
import { Router, type Request, type Response } from 'express';
import type { Db } from '../db/client';
import { allow, authOf } from './auth';
import { invalid } from './problem';
import { reviewSummaryQuerySchema } from './schemas';
import { accountsIn } from './scope';

export function reviewRoutes({ db }: { db: Db }): Router {
  const router = Router();
  router.get('/review/summary', allow('operate'), async (req: Request, res: Response) => {
    const query = reviewSummaryQuerySchema.safeParse(req.query);
    if (!query.success) throw invalid(query.error);
    const accounts = accountsIn(authOf(res), query.data.account);
    const rows = await db.record.groupBy({
      by: ['reason', 'step'],
      where: { status: 'needs_investigation', ...(accounts ? { accountId: { in: accounts } } : {}) },
      _count: { _all: true },
    });
    const groups = rows.map((r) => ({ reason: r.reason, step: r.step, count: r._count._all })).sort((a, b) => b.count - a.count);
    res.json({ parked: groups.reduce((sum, g) => sum + g.count, 0), groups });
  });
  return router;
}
