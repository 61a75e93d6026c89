/**
 * The codec endpoint (DESIGN §14): `POST /codec/decode` and `POST /codec/encode` with Temporal's
 * remote-codec protocol, proto3 JSON `{payloads: [{metadata: {key: base64}, data: base64}]}` both
 * ways, so the Temporal Web UI and CLI show an operator decrypted payloads and the CLI encrypts what
 * it sends. Routes match on the path alone: the UI adds a query string.
 */
import express, { Router, type RequestHandler } from 'express';
import type { Payload, PayloadCodec } from '@temporalio/common';
import type { Logger } from 'pino';
import { z } from 'zod';
import { PayloadDecryptionError } from '../temporal/codec';
import { allow, authenticate, type KeyStore } from './auth';
import { invalid, Problem } from './problem';

export interface CodecRoutesDeps {
  codec: PayloadCodec;
  keys: KeyStore;
  log: Logger;
  /** The Temporal UI's origin: the one page origin whose requests the browser may send and read. */
  uiOrigin: string;
}

/** A Temporal blob is at most 2 MB by default; base64 adds a third, and one request carries an event's payloads. */
const BODY_LIMIT = '8mb';
const ALLOWED_HEADERS = 'Content-Type, X-Namespace, Authorization';

const base64 = z.base64();
export const payloadsSchema = z.object({
  payloads: z.array(z.object({ metadata: z.record(z.string(), base64).default({}), data: base64.default('') })),
});
type JsonPayloads = z.infer<typeof payloadsSchema>;

const fromJson = ({ payloads }: JsonPayloads): Payload[] =>
  payloads.map((p) => ({
    metadata: Object.fromEntries(Object.entries(p.metadata).map(([key, value]) => [key, Buffer.from(value, 'base64')])),
    data: Buffer.from(p.data, 'base64'),
  }));

const toJson = (payloads: Payload[]): JsonPayloads => ({
  payloads: payloads.map((p) => ({
    metadata: Object.fromEntries(Object.entries(p.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value ?? []).toString('base64')])),
    data: Buffer.from(p.data ?? []).toString('base64'),
  })),
});

/**
 * CORS for the Temporal UI alone: a browser on another origin gets neither a preflight answer nor
 * a readable response. Requests without an Origin (the CLI) are not a browser's and pass on.
 */
function uiOriginOnly(uiOrigin: string): RequestHandler {
  return (req, res, next) => {
    const origin = req.get('origin');
    res.vary('Origin');
    if (origin === undefined) return next();
    if (origin !== uiOrigin) throw new Problem('forbidden', 'this origin may not use the codec endpoint');
    res.set('Access-Control-Allow-Origin', origin);
    if (req.method !== 'OPTIONS') return next();
    res.set({ 'Access-Control-Allow-Methods': 'POST, OPTIONS', 'Access-Control-Allow-Headers': ALLOWED_HEADERS, 'Access-Control-Max-Age': '600' });
    res.sendStatus(204);
  };
}

function codecHandler(transform: (payloads: Payload[]) => Promise<Payload[]>): RequestHandler {
  return async (req, res) => {
    const parsed = payloadsSchema.safeParse(req.body);
    if (!parsed.success) throw invalid(parsed.error);
    try {
      res.json(toJson(await transform(fromJson(parsed.data))));
    } catch (err) {
      if (!(err instanceof PayloadDecryptionError)) throw err;
      throw new Problem('invalid_request', err.message);
    }
  };
}

/** Decrypted payloads are record data: an `operate` key (DESIGN §11, §14), as for resolving records. */
export function codecRoutes({ codec, keys, log, uiOrigin }: CodecRoutesDeps): Router {
  const router = Router();
  router.use(uiOriginOnly(uiOrigin), authenticate(keys, log), allow('operate'), express.json({ limit: BODY_LIMIT }));
  router.post('/decode', codecHandler((payloads) => codec.decode(payloads)));
  router.post('/encode', codecHandler((payloads) => codec.encode(payloads)));
  return router;
}
