/**
 * A deterministic model provider over real HTTP, speaking the OpenAI chat-completions and the
 * Anthropic Messages wire formats, so the official SDKs, their error classes and our error
 * classification run exactly as against the real providers. It also serves the provider faults
 * of a fault plan (DESIGN §8), one per request, chosen by the `x-simulate-fault` header.
 */
import http from 'node:http';
import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { type ModelOutput } from '../contract';
import { ATTEMPT_HEADER, SIMULATE_FAULT_HEADER, simulatedFaultSchema, type SimulatedFault } from '../faults/wire';

export interface SimulatorLogEvent {
  api: ApiName | null;
  path: string;
  model: string | null;
  attempt: string | null;
  fault: SimulatedFault | null;
  /** null when the client gave up before any answer (a `timeout` fault, say). */
  status: number | null;
  ms: number;
}

export interface SimulatorOptions {
  port: number;
  host?: string;
  log?: (event: SimulatorLogEvent) => void;
  /** Latency of every correct answer, to make a provider slow without a fault plan. */
  baseDelayMs?: number;
  /** Per-model override of baseDelayMs, so one simulator can play a fast and a slow provider. */
  modelDelayMs?: Record<string, number>;
  /**
   * A fault every request for a model is served with, no header needed: a provider that is down for
   * everyone (a health probe, say), not for one record's plan. A request's own header wins.
   */
  modelFaults?: Record<string, SimulatedFault>;
}

export interface Simulator {
  url: string;
  port: number;
  close(): Promise<void>;
  /** Requests received; for one model, those that named it. */
  requestCount(model?: string): number;
  /** Serve every request for `model` with `fault` from now on; undefined: answer it again. */
  setModelFault(model: string, fault: SimulatedFault | undefined): void;
}

type ApiName = 'openai' | 'anthropic';
const LOW_CONFIDENCE_MARKER = '[low-confidence]';
const DEFAULT_SLOW_MS = 2_000;
const DEFAULT_RETRY_AFTER_SECONDS = 1;
const MAX_BODY_BYTES = 2 * 1024 * 1024;

// ---------- deterministic answers ----------

const digest = (text: string): Buffer => createHash('sha256').update(text).digest();

function labelsFor(text: string): string[] {
  const counts = new Map<string, number>();
  for (const word of text.toLowerCase().match(/[a-z]{4,}/g) ?? []) counts.set(word, (counts.get(word) ?? 0) + 1);
  // Map keeps first-appearance order, and sort is stable: ties stay deterministic.
  const top = [...counts].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([word]) => word);
  return top.length > 0 ? top : ['unlabelled'];
}

function summaryFor(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  if (flat === '') return '(empty input)';
  const words = flat.split(' ').length;
  const snippet = flat.length > 120 ? `${flat.slice(0, 120)}…` : flat;
  return `${words} words: ${snippet}`;
}

/** The simulator's answer to a text: a pure function of it, so reruns and replays agree. */
export function answerFor(text: string): ModelOutput {
  const clean = text.split(LOW_CONFIDENCE_MARKER).join(' ');
  const confidence = text.includes(LOW_CONFIDENCE_MARKER)
    ? 0.1
    : Math.round((0.6 + (digest(text).readUInt32BE(0) / 2 ** 32) * 0.39) * 100) / 100;
  return { summary: summaryFor(clean), labels: labelsFor(clean), confidence };
}

/** The right answer with one slip a JSON-repair library fixes: a trailing comma, or the closing brace left off. */
function almostJsonAnswerFor(text: string): string {
  const json = JSON.stringify(answerFor(text));
  return digest(text).readUInt8(5) % 2 === 0 ? `${json.slice(0, -1)},}` : json.slice(0, -1);
}

export const MALFORMED_VARIANTS = ['cut_off', 'prose_after', 'schema'] as const;
export type MalformedVariant = (typeof MALFORMED_VARIANTS)[number];

/** Which malformed answer a text gets: a pure function of it, so a test can choose texts that meet each one. */
export const malformedVariantOf = (text: string): MalformedVariant => MALFORMED_VARIANTS[digest(text).readUInt8(4) % 3] as MalformedVariant;

/**
 * A cut-off answer (which a JSON repair completes into one that breaks the schema), an answer with
 * prose after it (which no repair fixes), or valid JSON that breaks the schema: all must be caught.
 */
function malformedAnswerFor(text: string): string {
  const answer = answerFor(text);
  const json = JSON.stringify(answer);
  const variant = malformedVariantOf(text);
  if (variant === 'cut_off') return json.slice(0, Math.floor(json.length / 2));
  if (variant === 'prose_after') return `${json} I hope this helps with "${answer.labels[0]}".`;
  return JSON.stringify({ summary: answer.summary, labels: answer.labels.join(','), confidence: 1.5 });
}

const approxTokens = (s: string): number => Math.max(1, Math.ceil(s.length / 4));

// ---------- wire formats ----------

const contentSchema = z.union([
  z.string(),
  z.array(z.looseObject({ type: z.string(), text: z.string().optional() })),
  z.null(),
]);
const messagesSchema = z.array(z.looseObject({ role: z.string(), content: contentSchema })).min(1);
type Messages = z.infer<typeof messagesSchema>;

const partText = (content: z.infer<typeof contentSchema>): string =>
  typeof content === 'string' ? content : (content ?? []).map((p) => p.text ?? '').join('\n');

function lastUserText(messages: Messages): string | null {
  const user = messages.filter((m) => m.role === 'user').at(-1);
  return user ? partText(user.content) : null;
}

const promptTokens = (messages: Messages, system = ''): number =>
  approxTokens(system + messages.map((m) => partText(m.content)).join('\n'));

interface ParsedRequest {
  model: string;
  text: string;
  tokensIn: number;
}

interface Api {
  name: ApiName;
  path: string;
  requestIdHeader: string;
  apiKey(req: http.IncomingMessage): string | null;
  parse(body: unknown): ParsedRequest | string;
  reply(req: ParsedRequest, content: string, id: string): object;
  error(status: number, message: string, id: string): object;
}

function parsed(model: string, messages: Messages, system?: string): ParsedRequest | string {
  const text = lastUserText(messages);
  return text === null ? 'messages must contain a user message' : { model, text, tokensIn: promptTokens(messages, system) };
}

const issues = (e: z.ZodError): string => e.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; ');

const bearerKey = (req: http.IncomingMessage): string | null =>
  /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? null;

const openaiBody = z.looseObject({ model: z.string().min(1), messages: messagesSchema });
const openai: Api = {
  name: 'openai',
  path: '/v1/chat/completions',
  requestIdHeader: 'x-request-id',
  apiKey: bearerKey,
  parse(body) {
    const r = openaiBody.safeParse(body);
    return r.success ? parsed(r.data.model, r.data.messages) : issues(r.error);
  },
  reply: (req, content, id) => {
    const completionTokens = approxTokens(content);
    return {
      id: `chatcmpl-${id}`,
      object: 'chat.completion',
      created: Math.floor(Date.now() / 1000),
      model: req.model,
      system_fingerprint: 'fp_simulator',
      choices: [{ index: 0, message: { role: 'assistant', content, refusal: null }, logprobs: null, finish_reason: 'stop' }],
      usage: { prompt_tokens: req.tokensIn, completion_tokens: completionTokens, total_tokens: req.tokensIn + completionTokens },
    };
  },
  error: (status, message) => ({
    error: {
      message,
      type: status === 429 ? 'requests' : status >= 500 ? 'server_error' : 'invalid_request_error',
      param: null,
      code: ({ 401: 'invalid_api_key', 404: 'model_not_found', 429: 'rate_limit_exceeded' } as Record<number, string>)[status] ?? null,
    },
  }),
};

const ANTHROPIC_ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  529: 'overloaded_error',
};
const anthropicBody = z.looseObject({
  model: z.string().min(1),
  max_tokens: z.number().int().min(1),
  system: z.union([z.string(), z.array(z.looseObject({ text: z.string() }))]).optional(),
  messages: messagesSchema,
});
const anthropic: Api = {
  name: 'anthropic',
  path: '/v1/messages',
  requestIdHeader: 'request-id',
  // The classic header, or a bearer token: what @anthropic-ai/sdk 1.x sends for an apiKey.
  apiKey: (req) => (typeof req.headers['x-api-key'] === 'string' ? req.headers['x-api-key'] : bearerKey(req)),
  parse(body) {
    const r = anthropicBody.safeParse(body);
    if (!r.success) return issues(r.error);
    const system = typeof r.data.system === 'string' ? r.data.system : r.data.system?.map((b) => b.text).join('\n');
    return parsed(r.data.model, r.data.messages, system);
  },
  reply: (req, content, id) => ({
    id: `msg_${id}`,
    type: 'message',
    role: 'assistant',
    model: req.model,
    content: [{ type: 'text', text: content }],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage: { input_tokens: req.tokensIn, output_tokens: approxTokens(content) },
  }),
  error: (status, message, id) => ({
    type: 'error',
    error: { type: ANTHROPIC_ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error'), message },
    request_id: `req_${id}`,
  }),
};

const APIS = [openai, anthropic];

// ---------- request handling ----------

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

function readBody(req: http.IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('error', reject);
    req.on('end', () => {
      if (size > MAX_BODY_BYTES) return reject(new HttpError(413, `request body exceeds ${MAX_BODY_BYTES} bytes`));
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
      } catch {
        reject(new HttpError(400, 'request body is not valid JSON'));
      }
    });
  });
}

function parseFault(header: string | string[] | undefined): SimulatedFault | null {
  if (header === undefined) return null;
  let raw: unknown;
  try {
    raw = JSON.parse(Array.isArray(header) ? (header[0] ?? '') : header);
  } catch {
    throw new HttpError(400, `${SIMULATE_FAULT_HEADER} must be JSON, e.g. {"status":503} or {"kind":"timeout"}`);
  }
  const r = simulatedFaultSchema.safeParse(raw);
  if (!r.success) throw new HttpError(400, `invalid ${SIMULATE_FAULT_HEADER}: ${issues(r.error)}`);
  return r.data;
}

/** Resolves false when the client left first, so nobody writes to a closed socket. */
function wait(ms: number, res: http.ServerResponse): Promise<boolean> {
  if (ms <= 0) return Promise.resolve(!res.destroyed);
  return new Promise((resolve) => {
    const onClose = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    const timer = setTimeout(() => {
      res.off('close', onClose);
      resolve(true);
    }, ms);
    res.once('close', onClose);
  });
}

interface Exchange {
  api: Api;
  id: string;
  res: http.ServerResponse;
  log: Omit<SimulatorLogEvent, 'status' | 'ms'>;
}

function send(ex: Exchange, status: number, body: object, headers: Record<string, string> = {}): void {
  if (ex.res.destroyed) return;
  ex.res.writeHead(status, {
    'content-type': 'application/json',
    [ex.api.requestIdHeader]: `req_${ex.id}`,
    ...headers,
  });
  ex.res.end(JSON.stringify(body));
}

const sendError = (ex: Exchange, status: number, message: string, headers?: Record<string, string>): void =>
  send(ex, status, ex.api.error(status, message, ex.id), headers);

async function serveFault(ex: Exchange, fault: SimulatedFault, req: ParsedRequest): Promise<void> {
  if (fault.kind === 'timeout') return; // the socket stays open until the client gives up
  if (!(await wait(fault.delayMs ?? (fault.kind === 'slow' ? DEFAULT_SLOW_MS : 0), ex.res))) return;
  if (fault.kind === 'slow') return send(ex, 200, ex.api.reply(req, JSON.stringify(answerFor(req.text)), ex.id));
  if (fault.kind === 'malformed') return send(ex, 200, ex.api.reply(req, malformedAnswerFor(req.text), ex.id));
  if (fault.kind === 'almost_json') return send(ex, 200, ex.api.reply(req, almostJsonAnswerFor(req.text), ex.id));
  if (fault.kind === 'low_confidence') return send(ex, 200, ex.api.reply(req, JSON.stringify({ ...answerFor(req.text), confidence: 0.1 }), ex.id));
  const status = fault.status ?? 500;
  const retryAfter = fault.retryAfterSeconds ?? (status === 429 ? DEFAULT_RETRY_AFTER_SECONDS : undefined);
  // Real providers quote what they refused (an OpenAI 400 names the offending value), so ours does too:
  // whatever classifies the error must not copy the message on (G8).
  const message = status === 400 ? `simulated fault: HTTP 400: invalid input "${req.text.slice(0, 60)}"` : `simulated fault: HTTP ${status}`;
  sendError(ex, status, message, retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) });
}

/** How the simulator treats each model: its latency, a fault it always serves, and its request count. */
interface Models {
  delayFor(model: string): number;
  faultFor(model: string): SimulatedFault | undefined;
  seen(model: string): void;
}

async function serve(ex: Exchange, req: http.IncomingMessage, models: Models): Promise<void> {
  const key = ex.api.apiKey(req);
  if (key === null || key === 'invalid') throw new HttpError(401, 'invalid or missing API key');
  const headerFault = parseFault(req.headers[SIMULATE_FAULT_HEADER]);
  ex.log.fault = headerFault;
  const parsedReq = ex.api.parse(await readBody(req));
  if (typeof parsedReq === 'string') throw new HttpError(400, parsedReq);
  ex.log.model = parsedReq.model;
  models.seen(parsedReq.model);
  const fault = headerFault ?? models.faultFor(parsedReq.model) ?? null;
  ex.log.fault = fault;
  if (fault) return serveFault(ex, fault, parsedReq);
  if (await wait(models.delayFor(parsedReq.model), ex.res)) {
    send(ex, 200, ex.api.reply(parsedReq, JSON.stringify(answerFor(parsedReq.text)), ex.id));
  }
}

function exchangeFor(req: http.IncomingMessage, res: http.ServerResponse): Exchange {
  const path = (req.url ?? '/').split('?')[0] ?? '/';
  const api = APIS.find((a) => a.path === path);
  const attempt = req.headers[ATTEMPT_HEADER];
  return {
    api: api ?? openai,
    id: randomUUID().replace(/-/g, ''),
    res,
    log: { api: api?.name ?? null, path, model: null, fault: null, attempt: typeof attempt === 'string' ? attempt : null },
  };
}

async function handle(ex: Exchange, req: http.IncomingMessage, models: Models): Promise<void> {
  try {
    if (ex.log.api === null) throw new HttpError(404, `no route ${req.method} ${ex.log.path}`);
    if (req.method !== 'POST') throw new HttpError(405, `${ex.log.path} accepts POST only`);
    await serve(ex, req, models);
  } catch (err) {
    const status = err instanceof HttpError ? err.status : 500;
    sendError(ex, status, err instanceof Error ? err.message : String(err));
  }
}

export function startSimulator(opts: SimulatorOptions): Promise<Simulator> {
  const host = opts.host ?? '127.0.0.1';
  const modelFaults = new Map(Object.entries(opts.modelFaults ?? {}));
  const perModel = new Map<string, number>();
  const models: Models = {
    delayFor: (model) => opts.modelDelayMs?.[model] ?? opts.baseDelayMs ?? 0,
    faultFor: (model) => modelFaults.get(model),
    seen: (model) => void perModel.set(model, (perModel.get(model) ?? 0) + 1),
  };
  let count = 0;
  const server = http.createServer((req, res) => {
    count += 1;
    const started = Date.now();
    const ex = exchangeFor(req, res);
    res.on('close', () =>
      opts.log?.({ ...ex.log, status: res.headersSent ? res.statusCode : null, ms: Date.now() - started }),
    );
    void handle(ex, req, models);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => {
      const { port } = server.address() as { port: number };
      const urlHost = host === '0.0.0.0' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
      resolve({
        url: `http://${urlHost}:${port}`,
        port,
        requestCount: (model) => (model === undefined ? count : (perModel.get(model) ?? 0)),
        setModelFault: (model, fault) => void (fault ? modelFaults.set(model, simulatedFaultSchema.parse(fault)) : modelFaults.delete(model)),
        close: () =>
          new Promise<void>((done, fail) => {
            server.close((err) => (err ? fail(err) : done()));
            // Hanging `timeout` requests and idle keep-alive sockets would hold close() forever.
            server.closeAllConnections();
          }),
      });
    });
  });
}

