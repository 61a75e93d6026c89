import type { RequestHandler } from 'express';
import { createHash, timingSafeEqual } from 'node:crypto';

// Hashing first gives equal-length buffers, so the comparison time says nothing about the key.
const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** `what` names the secret in the 401, for a client that sent the wrong one. */
export function bearerAuth(apiKeys: string[], what = 'api key'): RequestHandler {
  const accepted = apiKeys.map(digest);
  return (req, res, next) => {
    const match = /^Bearer (.+)$/.exec(req.get('authorization') ?? '');
    const presented = match?.[1] ? digest(match[1]) : undefined;
    const ok = presented !== undefined && accepted.reduce((found, key) => timingSafeEqual(key, presented) || found, false);
    if (ok) return next();
    res.status(401).set('WWW-Authenticate', 'Bearer').json({ error: 'unauthorized', message: `send Authorization: Bearer <${what}>` });
  };
}
