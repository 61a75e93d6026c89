/**
 * The per-key request rate on /v1 (DESIGN §6): a fixed one-minute window per API key, counted in
 * this process (config `rateLimitPerMinute` says why not across processes). Over it: 429 with
 * Retry-After, as problem+json.
 */
import type { RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import { authOf } from './auth';
import { sendProblem } from './problem';

const WINDOW_MS = 60_000;

export function keyRateLimit(perMinute: number): RequestHandler {
  if (perMinute === 0) return (_req, _res, next) => next();
  return rateLimit({
    windowMs: WINDOW_MS,
    limit: perMinute,
    // Runs after authentication: the key's id, never the key, and never the client's address.
    keyGenerator: (_req, res) => authOf(res).keyId,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    // express-rate-limit sets Retry-After before it calls the handler.
    handler: (_req, res) => sendProblem(res, 'rate_limited', `this API key may send ${perMinute} requests a minute; retry after the Retry-After seconds`),
  });
}
