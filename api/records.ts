/**
 * POST /v1/records and the record views (DESIGN §6): a key writes to and reads from its own account
 * (scope.ts); the id in paths and answers is the one the account gave the record.
 */
import { Router, type Request, type Response } from 'express';
import { splitGlobalId, workflowIdFor, type ModelOutput } from '../contract';
import type { Db } from '../db/client';
import type { Ingest, IngestOutcome } from '../ingest';
import type { Prisma } from '../prisma/generated/client';
import { temporalUiLink } from '../temporal/client';
import { allow, authOf } from './auth';
import { invalid, Problem } from './problem';
import { listQuerySchema } from './schemas';
import { accountsIn, recordIn } from './scope';

export interface RecordRoutesDeps {
  db: Db;
  ingest: Ingest;
  ui: { url: string; namespace: string };
}

export function sendOutcome(res: Response, result: IngestOutcome): void {
  switch (result.outcome) {
    case 'accepted':
    case 'duplicate':
      res.status(result.outcome === 'accepted' ? 202 : 200).json({
        id: result.id,
        workflowId: result.workflowId,
        status: result.status,
        duplicate: result.outcome === 'duplicate',
      });
      return;
    case 'conflict':
      throw new Problem('conflict', result.message);
    case 'over_budget':
      throw new Problem('over_budget', result.message, { budgetCents: result.budgetCents, remainingCents: result.remainingCents, priceCents: result.priceCents });
    case 'invalid':
      throw invalid(result);
  }
}

const SUMMARY = {
  id: true,
  accountId: true,
  recordKey: true,
  source: true,
  status: true,
  step: true,
  attempts: true,
  lastError: true,
  reason: true,
  createdAt: true,
  updatedAt: true,
} satisfies Prisma.RecordSelect;
type SummaryRow = Prisma.RecordGetPayload<{ select: typeof SUMMARY }>;

/** A cursor is the last row's (created_at, id): the order is stable however many records arrive meanwhile. */
const encodeCursor = (row: { createdAt: Date; id: string }): string => Buffer.from(JSON.stringify([row.createdAt.toISOString(), row.id])).toString('base64url');

function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  try {
    const [at, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as unknown[];
    const createdAt = new Date(String(at));
    if (typeof id === 'string' && !Number.isNaN(createdAt.getTime())) return { createdAt, id };
  } catch {
    // answered below
  }
  throw new Problem('invalid_request', 'cursor is not one this API gave out: pass nextCursor unchanged', {
    issues: [{ code: 'custom', path: ['cursor'], message: 'not a cursor of this API' }],
  });
}

export function recordRoutes({ db, ingest, ui }: RecordRoutesDeps): Router {
  const router = Router();
  const links = (id: string) => ({ workflowId: workflowIdFor(id), workflowUrl: temporalUiLink(ui.url, ui.namespace, workflowIdFor(id)) });
  const summary = ({ id, accountId, recordKey, ...row }: SummaryRow) => ({
    ...row,
    id: recordKey ?? splitGlobalId(id).recordKey,
    account: accountId,
    ...links(id),
  });

  router.post('/records', allow('submit'), async (req: Request, res: Response) => {
    sendOutcome(res, await ingest('api', req.body, authOf(res).account));
  });

  router.get('/records', allow('submit'), async (req: Request, res: Response) => {
    const query = listQuerySchema.safeParse(req.query);
    if (!query.success) throw invalid(query.error);
    const { status, reason, step, limit, cursor, account } = query.data;
    const accounts = accountsIn(authOf(res), account);
    const after = cursor === undefined ? undefined : decodeCursor(cursor);
    const rows = await db.record.findMany({
      where: {
        ...(accounts ? { accountId: { in: accounts } } : {}),
        ...(status ? { status } : {}),
        ...(reason ? { reason } : {}),
        ...(step ? { step } : {}),
        ...(after ? { OR: [{ createdAt: { lt: after.createdAt } }, { createdAt: after.createdAt, id: { lt: after.id } }] } : {}),
      },
      orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
      take: limit + 1,
      select: SUMMARY,
    });
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    res.json({ records: page.map(summary), nextCursor: rows.length > limit && last ? encodeCursor(last) : null });
  });

  router.get('/records/:id', allow('submit'), async (req: Request<{ id: string }>, res: Response) => {
    const ref = recordIn(authOf(res), req.params.id);
    const record = await db.record.findUnique({
      where: { id: ref.id },
      select: {
        ...SUMMARY,
        input: true,
        charge: true,
        output: true,
        result: true,
        modelCalls: { orderBy: { id: 'asc' } },
        events: { orderBy: { id: 'asc' } },
      },
    });
    if (!record) throw new Problem('not_found', `no record ${req.params.id}`);
    const { charge, output, result, modelCalls, events, input, ...row } = record;
    res.json({
      ...summary(row),
      input,
      charge: charge && {
        idempotencyKey: charge.idempotencyKey,
        amountCents: charge.amountCents,
        currency: charge.currency,
        status: charge.status,
        billedVia: charge.billedVia,
        providerRef: charge.providerRef,
        createdAt: charge.createdAt,
        chargedAt: charge.chargedAt,
        refundedAt: charge.refundedAt,
      },
      result: result
        ? { source: result.source, tier: result.tier, output: result.output as ModelOutput, confidence: result.confidence, actorKeyId: result.actorKeyId }
        : // Completed before record_results existed: the stored output was the result.
          row.status === 'completed' && output
          ? { source: 'model', tier: 'model', output: output.output as ModelOutput, confidence: output.confidence, actorKeyId: null }
          : null,
      modelOutput: output && { provider: output.provider, model: output.model, tier: output.tier, output: output.output as ModelOutput, confidence: output.confidence },
      calls: modelCalls.map(({ recordId: _r, startedAt: _s, ...c }) => ({ ...c, id: c.id.toString() })),
      costMicros: modelCalls.reduce((sum, c) => sum + c.costMicros, 0),
      events: events.map(({ recordId: _r, ...e }) => ({ ...e, id: e.id.toString() })),
    });
  });

  return router;
}
