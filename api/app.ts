import express, { type ErrorRequestHandler, type Express } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Tracer } from '@opentelemetry/api';
import { requestSpans } from '../telemetry/tracing';
import type { Client } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { AppConfig } from '../config';
import type { Db } from '../db/client';
import { createApiMetrics } from '../metrics/api';
import { PipelineUnavailableError, type Ingest } from '../ingest';
import { payloadCodec } from '../temporal/client';
import { bearerAuth } from './auth';
import { codecRoutes } from './codec';
import { pageRoutes } from './page';
import { recordRoutes } from './records';
import { uploadRoutes } from './uploads';

export interface AppDeps {
  db: Db;
  temporal: Client;
  ingest: Ingest;
  apiKeys: string[];
  bodyLimit: string;
  ui: { url: string; namespace: string };
  uploadLimitBytes: number;
  /** The codec endpoint's: the payload codec, and the Temporal UI's origin that may call it from a browser. */
  codec: { payloadCodec: PayloadCodec; uiOrigin: string };
  log: Logger;
  metrics: Registry;
  /** Set when traces are exported: every /v1 request gets a span that the workflow joins. */
  tracer?: Tracer;
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
  message?: string;
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

function errorHandler(log: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    const http: HttpError = typeof err === 'object' && err !== null ? err : {};
    if (http.type === 'entity.too.large') return void res.status(413).json({ error: 'payload_too_large', message: `body exceeds ${http.limit} bytes` });
    if (http.type === 'entity.parse.failed') return void res.status(400).json({ error: 'invalid_json', message: 'body is not valid JSON' });
    if (http.type === 'encoding.invalid') return void res.status(400).json({ error: 'invalid_encoding', message: 'body is not valid UTF-8' });
    if (http.status && http.status >= 400 && http.status < 500) return void res.status(http.status).json({ error: 'bad_request', message: String(http.message) });
    if (err instanceof PipelineUnavailableError) {
      log.warn({ err, path: req.path }, 'pipeline unavailable');
      return void res.status(503).set('Retry-After', '5').json({ error: 'unavailable', message: err.message });
    }
    log.error({ err, path: req.path }, 'request failed');
    res.status(500).json({ error: 'internal', message: 'internal error; the request can be retried safely' });
  };
}

export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  // Without upgrade-insecure-requests: over plain HTTP on anything but localhost (an internal host,
  // docker-compose's port 3000) it would send the upload page's script to https:// and break it.
  app.use(helmet({ contentSecurityPolicy: { directives: { upgradeInsecureRequests: null } } }));
  app.use((req, _res, next) => {
    deps.log.debug({ method: req.method, path: req.path }, 'request');
    next();
  });
  app.get('/healthz', (_req, res) => void res.json({ ok: true }));
  app.get('/metrics', async (_req, res) => {
    res.type(deps.metrics.contentType).send(await deps.metrics.metrics());
  });
  app.get('/readyz', async (_req, res) => {
    const [database, temporal] = await Promise.all([
      reachable(() => deps.db.$queryRaw`SELECT 1`),
      reachable(() => deps.temporal.workflowService.getSystemInfo({})),
    ]);
    res.status(database && temporal ? 200 : 503).json({ database, temporal });
  });
  app.use(
    '/v1',
    ...(deps.tracer ? [requestSpans(deps.tracer)] : []),
    bearerAuth(deps.apiKeys),
    express.json({ limit: deps.bodyLimit, verify: rejectInvalidUtf8 }),
    recordRoutes(deps),
    uploadRoutes({ ingest: deps.ingest, limitBytes: deps.uploadLimitBytes, log: deps.log }),
  );
  app.use('/codec', codecRoutes({ codec: deps.codec.payloadCodec, apiKeys: deps.apiKeys, uiOrigin: deps.codec.uiOrigin }));
  app.use(pageRoutes(deps));
  app.use((_req, res) => void res.status(404).json({ error: 'not_found', message: 'no such route' }));
  app.use(errorHandler(deps.log));
  return app;
}

/** The app as the API process serves it: limits, keys and links from the configuration. */
export function createConfiguredApp(config: AppConfig, deps: Pick<AppDeps, 'db' | 'temporal' | 'ingest' | 'log' | 'tracer'>): Express {
  return createApp({
    ...deps,
    apiKeys: config.apiKeys,
    bodyLimit: '1mb',
    ui: { url: config.temporal.uiUrl, namespace: config.temporal.namespace },
    uploadLimitBytes: config.uploadLimitBytes,
    codec: { payloadCodec: payloadCodec(config.temporal.payloadKeys), uiOrigin: new URL(config.temporal.uiUrl).origin },
    metrics: createApiMetrics({ db: deps.db, temporal: deps.temporal, stuckAfterMs: 60_000 }),
  });
}
