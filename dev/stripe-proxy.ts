/**
 * A recording proxy in front of stripe-mock that adds what tests need of the real Stripe and
 * stripe-mock lacks, on Stripe's own wire protocol (form-encoded requests, its error envelope):
 *
 * - Idempotency-Key is honoured: a replay gets the first answer (marked Idempotent-Replayed), the
 *   same key with other parameters is an idempotency_error, and a key still in flight is a 409.
 *   Like Stripe, it keeps only answers the endpoint produced, not refusals.
 * - stripe-mock knows no customers: a meter event for a customer the test names as unknown gets
 *   Stripe's error for one.
 * - It can fail the next request as Stripe fails (429 with Retry-After, 5xx), or hold it back
 *   before forwarding, as a slow network would.
 *
 * Every request that reached it is recorded, with what it did with it.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StripeRequestRecord {
  method: string;
  path: string;
  idempotencyKey: string | null;
  /** A meter event's `identifier`, or the one an adjustment's `cancel[identifier]` names. */
  identifier: string | null;
  customerId: string | null;
  value: string | null;
  /** taken: stripe-mock answered it, first of its key; replayed: answered with that first answer; refused: answered here. */
  outcome: 'taken' | 'replayed' | 'refused';
  status: number;
}

export type InjectedAnswer = { status: 429 | 500 | 503; retryAfterSeconds?: number } | { delayMs: number };

export interface StripeProxy {
  /** For STRIPE_API_BASE. */
  url: string;
  requests(): StripeRequestRecord[];
  /** What Stripe would have acted on: each forwarded request once, replays and refusals left out. */
  taken(): StripeRequestRecord[];
  /** From now on, meter events for this customer are refused as Stripe refuses an unknown customer. */
  rejectCustomer(customerId: string): void;
  /** The next request gets this instead of its ordinary answer. */
  injectNext(answer: InjectedAnswer): void;
  close(): Promise<void>;
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const REQUEST_ID = 'req_stripe_proxy';
// Hop-by-hop, or recomputed by whoever sends the bytes on.
const UNFORWARDED = new Set(['host', 'connection', 'content-length', 'transfer-encoding', 'keep-alive', 'content-encoding']);

function stripeError(status: number, error: Record<string, string>, headers: Record<string, string> = {}): Answer {
  return {
    status,
    headers: { 'content-type': 'application/json', 'request-id': REQUEST_ID, ...headers },
    body: JSON.stringify({ error }),
  };
}

function unknownCustomer(customerId: string): Answer {
  return stripeError(400, {
    type: 'invalid_request_error',
    code: 'resource_missing',
    param: 'payload[stripe_customer_id]',
    message: `No such customer: '${customerId}'`,
    doc_url: 'https://stripe.com/docs/error-codes/resource-missing',
  });
}

function injected(answer: { status: number; retryAfterSeconds?: number }): Answer {
  const retryAfter: Record<string, string> = answer.retryAfterSeconds === undefined ? {} : { 'retry-after': String(answer.retryAfterSeconds) };
  return answer.status === 429
    ? stripeError(429, { type: 'invalid_request_error', code: 'rate_limit', message: 'Too many requests: slow down.' }, retryAfter)
    : stripeError(answer.status, { type: 'api_error', message: 'Something went wrong on our end.' }, retryAfter);
}

const keyMismatch = (): Answer =>
  stripeError(400, { type: 'idempotency_error', message: 'This Idempotency-Key was first used with other parameters; a retry must send the same ones.' });

const keyInUse = (): Answer =>
  stripeError(409, { type: 'invalid_request_error', code: 'idempotency_key_in_use', message: 'Another request with this Idempotency-Key is still in progress.' });

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}


export async function startStripeProxy(upstream: string): Promise<StripeProxy> {
  const records: StripeRequestRecord[] = [];
  const rejected = new Set<string>();
  const injections: InjectedAnswer[] = [];
  // Keyed by the key alone: the tests use one API key and one mode.
  const saved = new Map<string, { fingerprint: string; answer: Answer }>();
  const inFlight = new Map<string, string>();

  async function forward(req: IncomingMessage, path: string, body: string): Promise<Answer> {
    const headers = Object.entries(req.headers).flatMap(([name, value]) => (UNFORWARDED.has(name) || typeof value !== 'string' ? [] : [[name, value] as [string, string]]));
    const method = req.method ?? 'GET';
    const response = await fetch(new URL(path, upstream), { method, headers, body: method === 'GET' || method === 'HEAD' ? undefined : body });
    const answerHeaders = Object.fromEntries([...response.headers].filter(([name]) => !UNFORWARDED.has(name)));
    return { status: response.status, headers: answerHeaders, body: await response.text() };
  }

  async function answer(req: IncomingMessage, path: string, body: string, record: StripeRequestRecord): Promise<Answer> {
    const injection = injections.shift();
    if (injection !== undefined && 'status' in injection) return injected(injection);
    const key = record.idempotencyKey;
    const fingerprint = `${record.method} ${path}\n${body}`;
    if (key !== null) {
      const first = saved.get(key);
      if (first !== undefined) {
        if (first.fingerprint !== fingerprint) return keyMismatch();
        record.outcome = 'replayed';
        return { ...first.answer, headers: { ...first.answer.headers, 'idempotent-replayed': 'true' } };
      }
      if (inFlight.has(key)) return keyInUse();
      inFlight.set(key, fingerprint);
    }
    try {
      if (record.customerId !== null && rejected.has(record.customerId)) return unknownCustomer(record.customerId);
      if (injection !== undefined) await new Promise((resolve) => setTimeout(resolve, injection.delayMs));
      const result = await forward(req, path, body);
      // Stripe keeps the answers of requests its endpoints ran; stripe-mock's 4xx are refusals of the request itself.
      if (result.status < 400 || result.status >= 500) {
        record.outcome = 'taken';
        if (key !== null) saved.set(key, { fingerprint, answer: result });
      }
      return result;
    } finally {
      if (key !== null) inFlight.delete(key);
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readBody(req);
    const path = req.url ?? '/';
    const form = new URLSearchParams(req.headers['content-type']?.startsWith('application/x-www-form-urlencoded') ? body : '');
    const record: StripeRequestRecord = {
      method: req.method ?? 'GET',
      path: path.split('?')[0] ?? path,
      idempotencyKey: typeof req.headers['idempotency-key'] === 'string' ? req.headers['idempotency-key'] : null,
      identifier: form.get('identifier') ?? form.get('cancel[identifier]'),
      customerId: form.get('payload[stripe_customer_id]'),
      value: form.get('payload[value]'),
      outcome: 'refused',
      status: 0,
    };
    records.push(record);
    const result = await answer(req, path, body, record).catch((err: unknown) =>
      stripeError(502, { type: 'api_error', message: `stripe-mock did not answer: ${err instanceof Error ? err.message : String(err)}` }),
    );
    record.status = result.status;
    // The client may have given up meanwhile (its timeout); the answer is kept all the same.
    if (!res.destroyed) res.writeHead(result.status, result.headers).end(result.body);
  }

  const server = createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => records.map((r) => ({ ...r })),
    taken: () => records.filter((r) => r.outcome === 'taken').map((r) => ({ ...r })),
    rejectCustomer: (customerId) => void rejected.add(customerId),
    injectNext: (injection) => void injections.push(injection),
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
}
