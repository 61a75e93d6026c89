/**
 * POST /v1/records/:id/resolve (DESIGN §3, §6): the workflow's `resolve` Update, so the caller hears
 * the workflow's own accept or refuse at once, not a status read that may already be stale. The
 * record row is looked up first only to keep other accounts' records 404.
 */
import { createHash } from 'node:crypto';
import { Router, type Request, type Response } from 'express';
import {
  isGrpcDeadlineError,
  isGrpcServiceError,
  WorkflowNotFoundError,
  WorkflowUpdateFailedError,
  WorkflowUpdateRPCTimeoutOrCancelledError,
  type Client,
} from '@temporalio/client';
import type { Logger } from 'pino';
import { makeResolveSchema, resolveUpdate, workflowIdFor, type ResolveAction, type ResolveContext } from '../contract';
import type { Db } from '../db/client';
import { allow, authOf } from './auth';
import { invalid, Problem } from './problem';
import { resolveHeadersSchema } from './schemas';
import { recordIn } from './scope';

export interface ResolveRouteDeps {
  db: Db;
  temporal: Client;
  updateTimeoutMs: number;
  log: Logger;
}

const resolveSchema = makeResolveSchema();
/** gRPC's UNAVAILABLE (the server cannot be reached): the SDK names the code but does not export the enum. */
const GRPC_UNAVAILABLE = 14;

/** Temporal could not be reached or did not answer in time: the caller may retry the same action. */
function unreachable(err: unknown): boolean {
  if (err instanceof WorkflowUpdateRPCTimeoutOrCancelledError || isGrpcDeadlineError(err)) return true;
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if (isGrpcServiceError(e) && Number(e.code) === GRPC_UNAVAILABLE) return true;
  }
  return false;
}

/**
 * Temporal answers an Update whose id it has seen in the run with that Update's outcome. The id
 * holds the action as well as the caller's key, so a key sent again with another action is a new
 * request, which the workflow judges on its own. The action is zod's output, whose keys follow the
 * schema's order, so the same action always hashes the same.
 */
function updateIdOf(idempotencyKey: string | undefined, action: ResolveAction): string | undefined {
  if (idempotencyKey === undefined) return undefined;
  return `resolve-${createHash('sha256').update(JSON.stringify([idempotencyKey, action])).digest('base64url')}`;
}

export function resolveRoutes({ db, temporal, updateTimeoutMs, log }: ResolveRouteDeps): Router {
  const router = Router();
  router.post('/records/:id/resolve', allow('operate'), async (req: Request<{ id: string }>, res: Response) => {
    const auth = authOf(res);
    const ref = recordIn(auth, req.params.id);
    const action = resolveSchema.safeParse(req.body);
    if (!action.success) throw invalid(action.error);
    const headers = resolveHeadersSchema.safeParse({ 'Idempotency-Key': req.get('Idempotency-Key') });
    if (!headers.success) throw invalid(headers.error);
    const record = await db.record.findUnique({ where: { id: ref.id }, select: { status: true } });
    if (!record) throw new Problem('not_found', `no record ${req.params.id}`);
    const context: ResolveContext = { keyId: auth.keyId };
    const handle = temporal.workflow.getHandle(workflowIdFor(ref.id));
    const updateId = updateIdOf(headers.data['Idempotency-Key'], action.data);
    try {
      const view = await temporal.withDeadline(Date.now() + updateTimeoutMs, () => handle.executeUpdate(resolveUpdate, { args: [action.data, context], updateId }));
      res.json({ ...view, id: ref.recordKey, account: ref.account, workflowId: workflowIdFor(ref.id) });
    } catch (err) {
      // The validator's (or the handler's) refusal: its message is the workflow's reason, meant for the caller.
      if (err instanceof WorkflowUpdateFailedError) throw new Problem('conflict', err.cause?.message ?? err.message);
      if (err instanceof WorkflowNotFoundError) {
        throw new Problem('conflict', `record ${req.params.id} is ${record.status} and has no running workflow to resolve it`);
      }
      if (unreachable(err)) {
        log.warn({ err, requestId: res.locals.requestId }, 'resolve Update did not complete in time');
        res.set('Retry-After', '5');
        throw new Problem('unavailable', `the workflow of record ${req.params.id} did not answer within ${updateTimeoutMs} ms; the action may still take effect: ${updateId ? 'resend it with the same Idempotency-Key to hear its outcome' : 'read the record before sending it again, or send an Idempotency-Key so a resend hears the outcome'}`);
      }
      throw err;
    }
  });
  return router;
}
