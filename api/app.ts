import express, { type ErrorRequestHandler, type Express } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Tracer } from '@opentelemetry/api';
import { requestSpans } from '../telemetry/tracing';
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { AppConfig } from '../config';
import type { InferenceHealth } from '../contract';
import type { Db } from '../db/client';
import { createApiMetrics } from '../metrics/api';
import { PipelineUnavailableError, type Ingest } from '../ingest';
import { cachedHealthProbe } from '../providers/health';
import { payloadCodec } from '../temporal/client';
import type { ProviderRegistry } from '../providers/registry';
import { accountRoutes } from './accounts';
import { authenticate, createKeyStore, tokenAuth } from './auth';
import { codecRoutes } from './codec';
import { openApiDocument } from './openapi';
import { pageRoutes } from './page';
import { Problem, requestIds, sendProblem } from './problem';
import { keyRateLimit } from './rate-limit';
import { recordRoutes } from './records';
import { resolveRoutes } from './resolve';
import { reviewRoutes } from './review';
import { uploadRoutes } from './uploads';
import { usageRoutes } from './usage';

export interface AppDeps {
  db: Db;
  temporal: Client;
  ingest: Ingest;
  /** API_KEYS: each an admin key of the account `default`. */
  apiKeys: string[];
  rateLimitPerMinute: number;
  /** How long a resolve waits for the workflow's Update before answering 503. */
  updateTimeoutMs: number;
  /** CURRENCY: a new account's currency when it names none. */
  defaultCurrency: string;
  bodyLimit: string;
  ui: { url: string; namespace: string };
  uploadLimitBytes: number;
  /** The codec endpoint's: the payload codec, and the Temporal UI's origin that may call it from a browser. */
  codec: { payloadCodec: PayloadCodec; uiOrigin: string };
  log: Logger;
  metrics: Registry;
  /** METRICS_TOKEN: when set, /metrics wants it as a bearer token. */
  metricsToken?: string;
  /** Set when traces are exported: every /v1 request gets a span that the workflow joins. */
  tracer?: Tracer;
  /** The deep health probe of GET /health/inference, cached (providers/health.ts). */
  inferenceHealth: () => Promise<InferenceHealth>;
}

async function reachable(probe: () => Promise<unknown>): Promise<boolean> {
  try {
    await probe();
    return true;
  } catch {
    return false;
  }
}

/** What body-parser and http-errors attach to the errors they raise. */
interface HttpError {
  status?: number;
  type?: string;
  limit?: number;
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/** body-parser would turn invalid UTF-8 into U+FFFD and store text the sender never wrote. */
function rejectInvalidUtf8(_req: unknown, _res: unknown, body: Buffer): void {
  try {
    strictUtf8.decode(body);
  } catch {
    throw Object.assign(new Error('body is not valid UTF-8'), { status: 400, type: 'encoding.invalid' });
  }
}

/** Every error as problem+json; what went wrong inside stays in the log, under the request's id. */
function errorHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    if (err instanceof Problem) return sendProblem(res, err.code, err.detail, err.extra);
    const http: HttpError = typeof err === 'object' && err !== null ? err : {};
    if (http.type === 'entity.too.large') return sendProblem(res, 'payload_too_large', `the body exceeds ${http.limit} bytes`);
    if (http.type === 'entity.parse.failed') return sendProblem(res, 'invalid_json', 'the body is not valid JSON');
    if (http.type === 'encoding.invalid') return sendProblem(res, 'invalid_encoding', 'the body is not valid UTF-8');
    // Other body-parser refusals (an unsupported charset or encoding): their messages name only the header's value.
    if (http.status && http.status >= 400 && http.status < 500) return sendProblem(res, 'invalid_request', `the request cannot be read (HTTP ${http.status})`);
    const requestId = res.locals.requestId as string;
    if (err instanceof PipelineUnavailableError) {
      log.warn({ err, path: req.path, requestId }, 'pipeline unavailable');
      res.set('Retry-After', '5');
      return sendProblem(res, 'unavailable', `${err.message}; retry`);
    }
    log.error({ err, path: req.path, requestId }, 'request failed');
    sendProblem(res, 'internal', `internal error (request ${requestId}); the request can be retried safely`);
  };
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(requestIds);
  // Without upgrade-insecure-requests: over plain HTTP on anything but localhost (an internal host,
  // docker-compose's port 3000) it would send the upload page's script to https:// and break it.
  app.use(helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } }));
  app.use((req, res, next) => {
    deps.log.debug({ method: req.method, path: req.path, requestId: res.locals.requestId }, 'request');
    next();
  });
  const document = openApiDocument();
  app.get('/healthz', (_req, res) => void res.json({ ok: true }));
  app.get('/openapi.json', (_req, res) => void res.json(document));
  app.get('/metrics', ...(deps.metricsToken ? [tokenAuth(deps.metricsToken, 'METRICS_TOKEN')] : []), async (_req, res) => {
    res.type(deps.metrics.contentType).send(await deps.metrics.metrics());
  });
  app.get('/readyz', async (_req, res) => {
    const [database, temporal] = await Promise.all([
      reachable(() => deps.db.$queryRaw`SELECT 1`),
      reachable(() => deps.temporal.workflowService.getSystemInfo({})),
    ]);
    res.status(database && temporal ? 200 : 503).json({ database, temporal });
  });
  // No key, like /readyz: a load balancer or uptime check asks it. It names providers, never record data.
  app.get('/health/inference', async (_req, res) => {
    const report = await deps.inferenceHealth();
    res.status(report.status === 'healthy' ? 200 : 503).json(report);
  });
  const keys = createKeyStore(deps.db, deps.apiKeys);
  app.use(
    '/v1',
    ...(deps.tracer ? [requestSpans(deps.tracer)] : []),
    authenticate(keys, deps.log),
    keyRateLimit(deps.rateLimitPerMinute),
    express.json({ limit: deps.bodyLimit, verify: rejectInvalidUtf8 }),
    recordRoutes(deps),
    resolveRoutes(deps),
    reviewRoutes(deps),
    uploadRoutes({ ingest: deps.ingest, limitBytes: deps.uploadLimitBytes, log: deps.log }),
    usageRoutes(deps),
    accountRoutes({ db: deps.db, keys, defaultCurrency: deps.defaultCurrency }),
  );
  app.use('/codec', codecRoutes({ codec: deps.codec.payloadCodec, keys, log: deps.log, uiOrigin: deps.codec.uiOrigin }));
  app.use(pageRoutes(deps));
  app.use((req, res) => sendProblem(res, 'not_found', `no route ${req.method} ${req.path}`));
  app.use(errorHandler(deps.log));
  return app;
}

/** The app as the API process serves it: limits, keys and links from the configuration. */
export function createConfiguredApp(
  config: AppConfig,
  { providers, ...deps }: Pick<AppDeps, 'db' | 'temporal' | 'ingest' | 'log' | 'tracer'> & { providers: ProviderRegistry },
): Express {
  return createApp({
    ...deps,
    inferenceHealth: cachedHealthProbe(providers, config.health),
    apiKeys: config.apiKeys,
    rateLimitPerMinute: config.rateLimitPerMinute,
    updateTimeoutMs: config.temporal.updateTimeoutMs,
    defaultCurrency: config.billing.currency,
    bodyLimit: '1mb',
    ui: { url: config.temporal.uiUrl, namespace: config.temporal.namespace },
    uploadLimitBytes: config.uploadLimitBytes,
    codec: { payloadCodec: payloadCodec(config.temporal.payloadKeys), uiOrigin: new URL(config.temporal.uiUrl).origin },
    metrics: createApiMetrics({ db: deps.db, stuckAfterMs: config.reconcile.input.quietForMs }),
    metricsToken: config.metricsToken,
  });
}
