/**
 * API keys (DESIGN §11): `di_<key id>_<secret>`, random, shown once and stored only as their
 * SHA-256. The `di_` prefix makes a leaked key recognisable to secret scanners; the key id names it
 * in events, logs and DELETE /v1/keys/:keyId without revealing anything of the secret.
 *
 * Revocation reaches every API process through a short-lived cache of lookups rather than
 * LISTEN/NOTIFY: a notification needs a dedicated connection per process and is lost while that
 * connection is down, so a cache with an expiry would be needed anyway. KEY_CACHE_TTL_MS bounds how
 * long a revoked key (or a deleted account's) still works anywhere, at one indexed lookup per key
 * per process per TTL.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import { API_ROLES, DEFAULT_ACCOUNT, type ApiRole } from '../contract';
import type { Db } from '../db/client';
import { Problem } from './problem';

export interface KeyAuth {
  keyId: string;
  account: string;
  role: ApiRole;
}

export const KEY_CACHE_TTL_MS = 2_000;
// Enough for every key in use at once; past it the oldest lookups are dropped (and looked up again).
const KEY_CACHE_MAX = 10_000;
const KEY_FORMAT = /^di_[0-9a-f]{12}_[A-Za-z0-9_-]{43}$/;

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

export function newKey(): { id: string; key: string; hash: string } {
  const id = randomBytes(6).toString('hex');
  const key = `di_${id}_${randomBytes(32).toString('base64url')}`;
  return { id, key, hash: digest(key).toString('hex') };
}

/** API_KEYS' keys have no row: they are named by their place in the setting. */
export const staticKeyId = (index: number): string => `env-${index + 1}`;
export const isStaticKeyId = (keyId: string): boolean => /^env-\d+$/.test(keyId);

export interface KeyStore {
  lookup(presented: string): Promise<KeyAuth | null>;
  /** Drops every cached lookup: this process sees a revocation it made at once. */
  forget(): void;
}

export function createKeyStore(db: Db, staticKeys: readonly string[], ttlMs = KEY_CACHE_TTL_MS): KeyStore {
  const statics = staticKeys.map((key, index) => ({ digest: digest(key), auth: { keyId: staticKeyId(index), account: DEFAULT_ACCOUNT, role: 'admin' as const } }));
  const cache = new Map<string, { until: number; auth: KeyAuth | null }>();

  async function fromTable(presented: Buffer): Promise<KeyAuth | null> {
    const hash = presented.toString('hex');
    const cached = cache.get(hash);
    if (cached && cached.until > Date.now()) return cached.auth;
    const row = await db.apiKey.findUnique({
      where: { hash },
      select: { id: true, role: true, hash: true, accountId: true, revokedAt: true, account: { select: { deletedAt: true } } },
    });
    const valid = row !== null && row.revokedAt === null && row.account.deletedAt === null && timingSafeEqual(Buffer.from(row.hash, 'hex'), presented);
    const auth = valid ? { keyId: row.id, account: row.accountId, role: row.role as ApiRole } : null;
    cache.delete(hash);
    if (cache.size >= KEY_CACHE_MAX) cache.delete(cache.keys().next().value as string);
    cache.set(hash, { until: Date.now() + ttlMs, auth });
    return auth;
  }

  return {
    async lookup(presented) {
      const presentedDigest = digest(presented);
      // Every static key is compared, so the time taken does not say which one matched.
      const matched = statics.reduce<KeyAuth | null>((found, s) => (timingSafeEqual(s.digest, presentedDigest) ? s.auth : found), null);
      if (matched) return matched;
      return KEY_FORMAT.test(presented) ? fromTable(presentedDigest) : null;
    },
    forget: () => cache.clear(),
  };
}

// RFC 6750 §2.1 with RFC 9110 §11.1: the scheme is case-insensitive, one or more spaces follow it.
const BEARER = /^[ \t]*bearer[ \t]+(\S+)[ \t]*$/i;

export function authOf(res: Response): KeyAuth {
  return res.locals.auth as KeyAuth;
}

export function authenticate(keys: KeyStore, log: Logger): RequestHandler {
  return async (req, res, next) => {
    const presented = BEARER.exec(req.get('authorization') ?? '')?.[1];
    if (presented === undefined) {
      res.set('WWW-Authenticate', 'Bearer');
      throw new Problem('unauthorized', 'send Authorization: Bearer <api key>');
    }
    let auth: KeyAuth | null;
    try {
      auth = await keys.lookup(presented);
    } catch (err) {
      log.warn({ err, requestId: res.locals.requestId }, 'API key lookup failed');
      throw new Problem('unavailable', 'the API key could not be checked now; retry');
    }
    if (!auth) {
      res.set('WWW-Authenticate', 'Bearer error="invalid_token"');
      throw new Problem('unauthorized', 'the API key is not valid (unknown, revoked, or of a deleted account)');
    }
    res.locals.auth = auth;
    next();
  };
}

/** Lets through keys whose role is `least` or above (submit < operate < admin); others get 403. */
export function allow(least: ApiRole): RequestHandler {
  return (_req, res, next) => {
    const { role, keyId } = authOf(res);
    if (API_ROLES.indexOf(role) < API_ROLES.indexOf(least)) throw new Problem('forbidden', `key ${keyId} has the role ${role}; this needs ${least} or above`);
    next();
  };
}

/** One shared secret as a bearer token (METRICS_TOKEN for /metrics); `what` names it in the 401. */
export function tokenAuth(token: string, what: string): RequestHandler {
  const expected = digest(token);
  return (req, res, next) => {
    const presented = BEARER.exec(req.get('authorization') ?? '')?.[1];
    if (presented !== undefined && timingSafeEqual(digest(presented), expected)) return next();
    res.set('WWW-Authenticate', 'Bearer');
    throw new Problem('unauthorized', `send Authorization: Bearer <${what}>`);
  };
}
