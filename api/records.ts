import { Router, type Request, type Response } from 'express';
import { WorkflowNotFoundError, type Client } from '@temporalio/client';
import { z } from 'zod';
import { makeResolveSchema, RECORD_STATUSES, recordIdSchema, resolveSignal, workflowIdFor } from '../contract';
import type { Db } from '../db/client';
import type { Ingest, IngestOutcome } from '../ingest';
import { temporalUiLink } from '../temporal/client';

export interface RecordRoutesDeps {
  db: Db;
  temporal: Client;
  ingest: Ingest;
  ui: { url: string; namespace: string };
}

const listQuerySchema = z.strictObject({
  status: z.enum(RECORD_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

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
      res.status(409).json({ error: 'conflict', message: result.message });
      return;
    case 'over_budget':
      res.status(402).json({ error: 'over_budget', message: result.message, budgetCents: result.budgetCents, remainingCents: result.remainingCents });
      return;
    case 'invalid':
      res.status(400).json({ error: 'invalid_request', message: result.message, issues: result.issues });
  }
}

function badRequest(res: Response, error: z.ZodError): void {
  res.status(400).json({ error: 'invalid_request', message: z.prettifyError(error), issues: error.issues });
}

const resolveSchema = makeResolveSchema();

export function recordRoutes({ db, temporal, ingest, ui }: RecordRoutesDeps): Router {
  const router = Router();

  router.post('/records', async (req: Request, res: Response) => {
    sendOutcome(res, await ingest('api', req.body));
  });

  router.get('/records', async (req: Request, res: Response) => {
    const query = listQuerySchema.safeParse(req.query);
    if (!query.success) return badRequest(res, query.error);
    const records = await db.record.findMany({
      where: query.data.status ? { status: query.data.status } : {},
      orderBy: { createdAt: 'desc' },
      take: query.data.limit,
      select: { id: true, source: true, status: true, step: true, attempts: true, lastError: true, createdAt: true, updatedAt: true },
    });
    res.json({ records: records.map((r) => ({ ...r, workflowId: workflowIdFor(r.id), workflowUrl: temporalUiLink(ui.url, ui.namespace, workflowIdFor(r.id)) })) });
  });

  router.get('/records/:id', async (req: Request<{ id: string }>, res: Response) => {
    const id = recordIdSchema.safeParse(req.params.id);
    if (!id.success) return badRequest(res, id.error);
    const record = await db.record.findUnique({
      where: { id: id.data },
      include: { charge: true, output: true, modelCalls: { orderBy: { id: 'asc' } }, events: { orderBy: { id: 'asc' } } },
    });
    if (!record) return void res.status(404).json({ error: 'not_found', message: `no record ${id.data}` });
    const { charge, output, modelCalls, events, inputHash: _hash, memo: _memo, ...row } = record;
    res.json({
      ...row,
      workflowId: workflowIdFor(record.id),
      workflowUrl: temporalUiLink(ui.url, ui.namespace, workflowIdFor(record.id)),
      charge,
      result: output,
      calls: modelCalls.map((c) => ({ ...c, id: c.id.toString() })),
      totalCostMicros: modelCalls.reduce((sum, c) => sum + c.costMicros, 0),
      events: events.map((e) => ({ ...e, id: e.id.toString() })),
    });
  });

  router.post('/records/:id/resolve', async (req: Request<{ id: string }>, res: Response) => {
    const id = recordIdSchema.safeParse(req.params.id);
    if (!id.success) return badRequest(res, id.error);
    const action = resolveSchema.safeParse(req.body);
    if (!action.success) return badRequest(res, action.error);
    const record = await db.record.findUnique({ where: { id: id.data }, select: { status: true } });
    if (!record) return void res.status(404).json({ error: 'not_found', message: `no record ${id.data}` });
    if (record.status !== 'needs_investigation') {
      return void res.status(409).json({ error: 'conflict', message: `record ${id.data} is ${record.status}, not needs_investigation` });
    }
    try {
      await temporal.workflow.getHandle(workflowIdFor(id.data)).signal(resolveSignal, action.data);
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) throw err;
      return void res.status(409).json({ error: 'conflict', message: `record ${id.data} has no running workflow to resolve it (see its last error)` });
    }
    res.status(202).json({ id: id.data, workflowId: workflowIdFor(id.data), signal: 'resolve', action: action.data.action });
  });

  return router;
}
