/**
 * Configuration is parsed here once, at start-up, and passed down. Nothing else reads the
 * environment, so a bad setting stops the process with one clear message instead of surfacing
 * later as a strange failure mid-pipeline.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { accountIdSchema, DEFAULT_ACCOUNT, DEFAULT_TASK_QUEUE, providerTaskQueue, type PipelineOptions, type RetryOptions } from '../contract';
import { parseProvidersSetting } from '../providers/settings';
import type { LogSettings } from './logger';
import type { HealthSettings } from '../providers/health';
import type { ProviderConfig } from '../providers/types';
import { PAYLOAD_KEY_BYTES, type PayloadKey } from '../temporal/codec';
import { isSocketAddress } from './address';
import { ConfigError } from './error';

const intFrom = (fallback: number) => z.coerce.number().int().nonnegative().default(fallback);

const PAYLOAD_KEY_ID = /^[A-Za-z0-9._-]{1,64}$/;
const base64 = z.base64();

/** `id:base64key` pairs, comma-separated; messages name the pair or the key id, never key material. */
function parsePayloadKeys(value: string, ctx: z.core.$RefinementCtx<string>): PayloadKey[] {
  const keys: PayloadKey[] = [];
  const pairs = value.split(',').map((p) => p.trim()).filter(Boolean);
  if (pairs.length === 0) ctx.addIssue('no id:base64key pair');
  pairs.forEach((pair, i) => {
    const colon = pair.indexOf(':');
    const id = pair.slice(0, Math.max(colon, 0));
    const encoded = pair.slice(colon + 1);
    if (!PAYLOAD_KEY_ID.test(id)) return ctx.addIssue(`pair ${i + 1} is not id:base64key (an id of letters, digits, '.', '_' or '-', then ':')`);
    if (!base64.safeParse(encoded).success) return ctx.addIssue(`key "${id}" is not base64`);
    const key = Buffer.from(encoded, 'base64');
    if (key.length !== PAYLOAD_KEY_BYTES) return ctx.addIssue(`key "${id}" is ${key.length} bytes; AES-256 needs ${PAYLOAD_KEY_BYTES} (openssl rand -base64 32)`);
    if (keys.some((k) => k.id === id)) return ctx.addIssue(`key id "${id}" appears twice`);
    keys.push({ id, key });
  });
  return keys;
}

const payloadKeysSchema = z.string().transform(parsePayloadKeys);

const envSchema = z.object({
  // Unset means production: a deployment that forgets it gets the safe settings, not the development ones.
  NODE_ENV: z.enum(['development', 'test', 'production']).default('production'),
  DATA_DIR: z.string().default('.data'),
  DATABASE_URL: z.url({ protocol: /^postgres(ql)?$/ }).optional(),
  EMBEDDED_PG_PORT: intFrom(54329),
  TEMPORAL_ADDRESS: z.string().min(1).optional(),
  TEMPORAL_DEV_PORT: intFrom(7233),
  TEMPORAL_UI_PORT: intFrom(8233),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TEMPORAL_TASK_QUEUE: z.string().default(DEFAULT_TASK_QUEUE),
  TEMPORAL_UI_URL: z.url().optional(),
  TEMPORAL_START_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  TEMPORAL_UPDATE_TIMEOUT_MS: z.coerce.number().int().min(100).default(15_000),
  // Named as in Temporal's client environment configuration, so the `temporal` CLI reads the same settings.
  TEMPORAL_API_KEY: z.string().min(1).optional(),
  TEMPORAL_TLS: z.enum(['true', 'false']).optional(),
  TEMPORAL_TLS_CLIENT_CERT_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_CLIENT_KEY_PATH: z.string().min(1).optional(),
  TEMPORAL_TLS_SERVER_CA_CERT_PATH: z.string().min(1).optional(),
  WORKFLOW_BUNDLE_PATH: z.string().min(1).optional(),
  /** The address the API and the MLLP listener bind; unset: every interface (`npm start` sets 127.0.0.1). */
  HOST: z.string().min(1).optional(),
  PORT: intFrom(3000),
  HTTP_HEADERS_TIMEOUT_MS: z.coerce.number().int().min(100).default(20_000),
  // Above the 60 s idle timeout of common load balancers, so they never reuse a connection we are closing.
  HTTP_KEEP_ALIVE_TIMEOUT_MS: z.coerce.number().int().min(100).default(65_000),
  MLLP_PORT: intFrom(2575),
  MLLP_MAX_CONNECTIONS: z.coerce.number().int().min(1).default(1_000),
  MLLP_IDLE_TIMEOUT_MS: z.coerce.number().int().min(100).default(300_000),
  MLLP_MAX_FRAME_BYTES: z.coerce.number().int().min(1_024).default(1024 * 1024),
  MLLP_TLS_CERT_PATH: z.string().min(1).optional(),
  MLLP_TLS_KEY_PATH: z.string().min(1).optional(),
  MLLP_TLS_CA_PATH: z.string().min(1).optional(),
  MLLP_ACCOUNTS: z.string().optional(),
  MLLP_DEFAULT_ACCOUNT: z.union([z.literal('none'), accountIdSchema]).default(DEFAULT_ACCOUNT),
  UPLOAD_LIMIT_BYTES: z.coerce.number().int().min(1).default(10 * 1024 * 1024),
  SIMULATOR_PORT: intFrom(8787),
  API_KEYS: z.string().optional(),
  RATE_LIMIT_PER_MINUTE: intFrom(6_000),
  PAYLOAD_KEYS: payloadKeysSchema.optional(),
  FAULT_INJECTION: z.enum(['enabled', 'disabled']).optional(),
  PROVIDERS: z.string().optional(),
  PRICE_CENTS: intFrom(5),
  CURRENCY: z.string().regex(/^[a-z]{3}$/).default('usd'),
  CONFIDENCE_THRESHOLD: z.coerce.number().min(0).max(1).default(0.5),
  DEGRADATION: z
    .string()
    .default('')
    .transform((v) => v.split(',').map((t) => t.trim()).filter(Boolean))
    .pipe(z.array(z.enum(['cache', 'rules'])).refine((tiers) => new Set(tiers).size === tiers.length, 'a tier may appear once')),
  OUTPUT_REUSE: z.enum(['never', 'always']).default('never'),
  RULES_CONFIDENCE: z.coerce.number().min(0).max(1).default(0.3),
  BILLING_PROVIDER: z.enum(['ledger', 'stripe']).default('ledger'),
  STRIPE_API_KEY: z.string().min(1).optional(),
  STRIPE_METER_EVENT: z.string().min(1).optional(),
  /** Another endpoint for the Stripe SDK (Stripe's own stripe-mock in tests): scheme, host and port only. */
  STRIPE_API_BASE: z
    .url({ protocol: /^https?$/ })
    .refine((url) => /^https?:\/\/[^/?#]+\/?$/.test(url), 'scheme, host and port only: the SDK adds the path')
    .optional(),
  /** Below STEP_TIMEOUT_MS, so the SDK's timeout fires first and the activity sees a classified failure. */
  STRIPE_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  RETRY_INITIAL_INTERVAL_MS: intFrom(1000),
  RETRY_BACKOFF_COEFFICIENT: z.coerce.number().min(1).default(2),
  RETRY_MAXIMUM_INTERVAL_MS: intFrom(60_000),
  RETRY_MAXIMUM_ATTEMPTS: z.coerce.number().int().min(1).default(5),
  STEP_TIMEOUT_MS: z.coerce.number().int().min(100).default(30_000),
  BREAKER_FAILURE_THRESHOLD: z.coerce.number().int().min(1).default(5),
  BREAKER_COOLDOWN_MS: intFrom(30_000),
  INGEST_START_CONCURRENCY: z.coerce.number().int().min(1).default(16),
  INGEST_START_BACKLOG: z.coerce.number().int().min(1).default(10_000),
  RECONCILE_INTERVAL_MS: z.coerce.number().int().min(1_000).default(60_000),
  RECONCILE_QUIET_MS: intFrom(60_000),
  // The probe aborts at the bound, so the minute's Schedule never overlaps itself.
  HEALTH_LATENCY_MS: z.coerce.number().int().min(1).max(50_000).default(10_000),
  HEALTH_CACHE_MS: intFrom(60_000),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.url().optional(),
  METRICS_TOKEN: z.string().min(16, 'METRICS_TOKEN must be at least 16 characters').optional(),
  /** Where a worker serves Temporal's Prometheus metrics (SDK and model-call metrics); empty: off. */
  WORKER_METRICS_ADDRESS: z
    .string()
    .default('127.0.0.1:9464')
    .refine((value) => value === '' || isSocketAddress(value), {
      message: "must be an IP address and a port, such as 127.0.0.1:9464 or [::1]:9464 (no host name), or empty to turn the worker's metrics off",
    }),
  /** The worker's CPU priority under the API's and the MLLP listener's on a shared host (nice; 0 keeps the default). */
  WORKER_NICE: z.coerce.number().int().min(0).max(19).default(10),
  /** Unset: the SDK's default, derived from the heap limit (about 2,300 workflows with Node's default heap). */
  WORKER_MAX_CACHED_WORKFLOWS: z.coerce.number().int().min(2).optional(),
});

export const DEV_API_KEY = 'dev-key';
/** Where `npm start` keeps the development payload key (PAYLOAD_KEYS format) inside DATA_DIR. */
export const DEV_PAYLOAD_KEYS_FILE = 'payload-keys';

export interface AppConfig {
  env: 'development' | 'test' | 'production';
  dataDir: string;
  databaseUrl: string | undefined;
  embeddedPgPort: number;
  /** `managed`: no TEMPORAL_ADDRESS was given, so `npm start` runs the dev server itself. */
  temporal: {
    address: string;
    namespace: string;
    taskQueue: string;
    uiUrl: string;
    uiPort: number;
    /** TEMPORAL_DEV_PORT: where the server `npm start` runs when it is `managed` listens. */
    devPort: number;
    managed: boolean;
    apiKey: string | undefined;
    /**
     * PAYLOAD_KEYS: the first encrypts, all decrypt (DESIGN §14). Outside production, unset means the
     * development key `npm start` keeps in DATA_DIR, and empty until it has made one.
     */
    payloadKeys: PayloadKey[];
    /** false: plaintext; otherwise TLS, with the certificate files to read when connecting. */
    tls: TemporalTls | false;
    /**
     * How long a workflow start may take, the client's own retries included: MLLP then answers AR
     * so the sender retries; the API's starts behind its answers leave the record to the reconciler.
     */
    startTimeoutMs: number;
    /**
     * How long POST /v1/records/:id/resolve waits for the workflow's `resolve` Update to be
     * accepted or refused and carried out, before the caller is told to retry (503).
     */
    updateTimeoutMs: number;
  };
  /** A bundle made by bin/bundle-workflows.ts: the worker starts without bundling (production images). */
  workflowBundlePath: string | undefined;
  host: string | undefined;
  port: number;
  /** The API server's timeouts (api/server.ts says why the body has none). */
  http: { headersTimeoutMs: number; keepAliveTimeoutMs: number };
  mllp: MllpSettings;
  simulatorPort: number;
  apiKeys: string[];
  /**
   * Requests per minute per API key on /v1, counted in each API process (0: no limit). With N API
   * processes behind a balancer a key gets up to N times this: it protects each process's capacity,
   * while money is bounded by the budgets, which PostgreSQL enforces across processes (G9).
   */
  rateLimitPerMinute: number;
  uploadLimitBytes: number;
  faultInjection: boolean;
  providers: ProviderConfig[];
  /** No PROVIDERS given: the providers are the local simulator, which `npm start` runs. */
  simulatedProviders: boolean;
  billing: BillingSettings;
  /** RULES_CONFIDENCE: the confidence of a rules-tier result. */
  rulesConfidence: number;
  pipeline: PipelineOptions;
  breaker: { failureThreshold: number; cooldownMs: number };
  /** GET /health/inference and the worker's health Schedule (DESIGN §13). */
  health: HealthSettings;
  /** The HTTP API's workflow starts behind its answers: at once, and waiting at most (ingest/background.ts). */
  ingestStarts: { concurrency: number; backlog: number };
  /** The reconciler's Schedule: how often, and how long a row must be quiet before it is suspect. */
  reconcile: { everyMs: number; input: { quietForMs: number; limit: number } };
  log: LogSettings;
  /** OTLP/HTTP base URL; traces are exported only when it is set. */
  otlpEndpoint: string | undefined;
  workerMetricsAddress: string | undefined;
  /**
   * How far a worker process lowers its own CPU priority (nice). A caller waits on every answer of
   * the API and the MLLP listener; a record the worker has not reached waits in Temporal's queue,
   * durably. On a host they share, the ingest processes get the cores first when both want them.
   */
  workerNice: number;
  /** Set: /metrics needs it as a bearer token. */
  metricsToken: string | undefined;
  /**
   * Open workflows a worker keeps in memory; beyond it the least recent is evicted and replayed from
   * its history when it next has work, which bounds memory at the cost of replay CPU.
   */
  maxCachedWorkflows: number | undefined;
}

export interface BillingSettings {
  /** PRICE_CENTS and CURRENCY: an account's price when it sets none. */
  priceCents: number;
  currency: string;
  provider: 'ledger' | 'stripe';
  stripe: { apiKey: string; meterEvent: string; apiBase: string | undefined; timeoutMs: number } | undefined;
}

export interface MllpSettings {
  port: number;
  /** Connections beyond it are closed as they arrive. */
  maxConnections: number;
  /** A connection that sends nothing for this long, with no ACK owed to it, is closed. */
  idleTimeoutMs: number;
  /** Larger frames get AE without being held in memory. */
  maxFrameBytes: number;
  /** Set: MLLP over TLS; with `caPath`, only senders with a certificate that CA signed get in. */
  tls: { certPath: string; keyPath: string; caPath: string | undefined } | undefined;
  /** MLLP_ACCOUNTS: the sending facility (MSH-4) → the account its records belong to. */
  accounts: Record<string, string>;
  /** Where unmapped senders' records go; null (`none`): they get AR. */
  defaultAccount: string | null;
}

export interface TemporalTls {
  /** mTLS: both or neither. */
  clientCertPath?: string;
  clientKeyPath?: string;
  /** A private CA's certificate; without it the system's trust store verifies the server (Temporal Cloud). */
  serverCaCertPath?: string;
}

export { ConfigError } from './error';

/** The local simulator as a dearer primary and a cheaper fallback, priced like real models so the cost figures move. */
function defaultProviders(simulatorPort: number): unknown[] {
  const baseURL = `http://127.0.0.1:${simulatorPort}/v1`;
  const prices = { primary: [3, 15], fallback: [0.25, 1.25] };
  return Object.entries(prices).map(([name, [inputPricePerMTok, outputPricePerMTok]]) => ({
    name,
    kind: 'openai',
    baseURL,
    model: `sim-${name}-2026-11-01`,
    apiKeyEnv: 'SIMULATOR_API_KEY',
    inputPricePerMTok,
    outputPricePerMTok,
  }));
}

function retryFrom(env: z.infer<typeof envSchema>, maximumAttempts = env.RETRY_MAXIMUM_ATTEMPTS): RetryOptions {
  return {
    initialIntervalMs: env.RETRY_INITIAL_INTERVAL_MS,
    backoffCoefficient: env.RETRY_BACKOFF_COEFFICIENT,
    maximumIntervalMs: env.RETRY_MAXIMUM_INTERVAL_MS,
    maximumAttempts,
    startToCloseTimeoutMs: env.STEP_TIMEOUT_MS,
  };
}

function pipelineFrom(env: z.infer<typeof envSchema>, providers: ProviderConfig[]): PipelineOptions {
  const step = retryFrom(env);
  return {
    steps: { charge: step, persist: step, lifecycle: { ...step, maximumAttempts: 0 } },
    providers: providers.map((p) => ({
      name: p.name,
      taskQueue: providerTaskQueue(p.name),
      // The SDK's own timeout fires first, so the activity sees a classified timeout, not a lost worker.
      retry: { ...retryFrom(env, p.maxAttempts), startToCloseTimeoutMs: p.timeoutMs + 5_000 },
    })),
    confidenceThreshold: env.CONFIDENCE_THRESHOLD,
    degradation: env.DEGRADATION,
    reuseOutputs: env.OUTPUT_REUSE === 'always',
  };
}

function billingFrom(env: z.infer<typeof envSchema>): BillingSettings {
  const common = { priceCents: env.PRICE_CENTS, currency: env.CURRENCY };
  if (env.BILLING_PROVIDER === 'ledger') return { ...common, provider: 'ledger', stripe: undefined };
  if (!env.STRIPE_API_KEY || !env.STRIPE_METER_EVENT) throw new ConfigError('BILLING_PROVIDER=stripe needs STRIPE_API_KEY and STRIPE_METER_EVENT');
  if (env.STRIPE_TIMEOUT_MS >= env.STEP_TIMEOUT_MS) throw new ConfigError('STRIPE_TIMEOUT_MS must be below STEP_TIMEOUT_MS');
  const stripe = { apiKey: env.STRIPE_API_KEY, meterEvent: env.STRIPE_METER_EVENT, apiBase: env.STRIPE_API_BASE, timeoutMs: env.STRIPE_TIMEOUT_MS };
  return { ...common, provider: 'stripe', stripe };
}

/** As Temporal's own clients decide: an API key or any certificate turns TLS on, unless TEMPORAL_TLS says otherwise. */
function temporalTlsFrom(env: z.infer<typeof envSchema>): TemporalTls | false {
  const { TEMPORAL_TLS_CLIENT_CERT_PATH: clientCertPath, TEMPORAL_TLS_CLIENT_KEY_PATH: clientKeyPath, TEMPORAL_TLS_SERVER_CA_CERT_PATH: serverCaCertPath } = env;
  if ((clientCertPath === undefined) !== (clientKeyPath === undefined)) {
    throw new ConfigError('TEMPORAL_TLS_CLIENT_CERT_PATH and TEMPORAL_TLS_CLIENT_KEY_PATH go together: set both or neither');
  }
  const implied = env.TEMPORAL_API_KEY !== undefined || clientCertPath !== undefined || serverCaCertPath !== undefined;
  if (env.TEMPORAL_TLS === 'false' && (clientCertPath !== undefined || serverCaCertPath !== undefined)) {
    throw new ConfigError('TEMPORAL_TLS=false contradicts the TEMPORAL_TLS_* certificate paths');
  }
  if (env.TEMPORAL_TLS === 'false' || (env.TEMPORAL_TLS === undefined && !implied)) return false;
  return {
    ...(clientCertPath !== undefined && clientKeyPath !== undefined ? { clientCertPath, clientKeyPath } : {}),
    ...(serverCaCertPath !== undefined ? { serverCaCertPath } : {}),
  };
}

/** A JSON object: facility names hold spaces, commas and `^`, which a `k=v,k=v` list would have to escape. */
const mllpAccountsSchema = z.record(z.string().min(1), accountIdSchema);

function mllpFrom(env: z.infer<typeof envSchema>): MllpSettings {
  const { MLLP_TLS_CERT_PATH: certPath, MLLP_TLS_KEY_PATH: keyPath, MLLP_TLS_CA_PATH: caPath } = env;
  if ((certPath === undefined) !== (keyPath === undefined)) throw new ConfigError('MLLP_TLS_CERT_PATH and MLLP_TLS_KEY_PATH go together: set both or neither');
  if (caPath !== undefined && certPath === undefined) throw new ConfigError('MLLP_TLS_CA_PATH needs MLLP_TLS_CERT_PATH and MLLP_TLS_KEY_PATH: client certificates are asked for over TLS');
  return {
    port: env.MLLP_PORT,
    maxConnections: env.MLLP_MAX_CONNECTIONS,
    idleTimeoutMs: env.MLLP_IDLE_TIMEOUT_MS,
    maxFrameBytes: env.MLLP_MAX_FRAME_BYTES,
    tls: certPath !== undefined && keyPath !== undefined ? { certPath, keyPath, caPath } : undefined,
    accounts: parseMllpAccounts(env.MLLP_ACCOUNTS),
    defaultAccount: env.MLLP_DEFAULT_ACCOUNT === 'none' ? null : env.MLLP_DEFAULT_ACCOUNT,
  };
}

function parseMllpAccounts(value: string | undefined): Record<string, string> {
  if (value === undefined || value.trim() === '') return {};
  let raw: unknown;
  try {
    raw = JSON.parse(value);
  } catch {
    throw new ConfigError('MLLP_ACCOUNTS is not JSON: it must be an object such as {"REFERENCE LAB": "acme"}');
  }
  const parsed = mllpAccountsSchema.safeParse(raw);
  if (!parsed.success) throw new ConfigError(`invalid MLLP_ACCOUNTS: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
}

/** The key `npm start` generated, if it has: read, never made, here (dev/local-stack.ts makes it). */
function developmentPayloadKeys(dataDir: string): PayloadKey[] {
  const file = join(dataDir, DEV_PAYLOAD_KEYS_FILE);
  if (!existsSync(file)) return [];
  const parsed = payloadKeysSchema.safeParse(readFileSync(file, 'utf8').trim());
  if (!parsed.success) throw new ConfigError(`${file}: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  return parsed.data;
}

/** What production refuses: running without keys, with the well-known development key, or with fault injection. */
function checkProduction(env: z.infer<typeof envSchema>, apiKeys: string[]): void {
  const missing = [...(apiKeys.length === 0 ? ['API_KEYS'] : []), ...(env.PAYLOAD_KEYS === undefined ? ['PAYLOAD_KEYS'] : [])];
  if (missing.length > 0) throw new ConfigError(`${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} required when NODE_ENV=production (unset NODE_ENV means production)`);
  if (apiKeys.includes(DEV_API_KEY)) throw new ConfigError(`API_KEYS holds the development key "${DEV_API_KEY}", which production refuses`);
  if (env.FAULT_INJECTION === 'enabled') throw new ConfigError('FAULT_INJECTION=enabled is refused when NODE_ENV=production');
}

export function loadConfig(source: NodeJS.ProcessEnv): AppConfig {
  const parsed = envSchema.safeParse(source);
  if (!parsed.success) throw new ConfigError(`invalid environment: ${describeIssues(parsed.error)}`);
  const env = parsed.data;
  const production = env.NODE_ENV === 'production';
  const apiKeys = (env.API_KEYS ?? (production ? '' : DEV_API_KEY)).split(',').map((k) => k.trim()).filter(Boolean);
  if (production) checkProduction(env, apiKeys);
  const providers = parseProvidersSetting(env.PROVIDERS, defaultProviders(env.SIMULATOR_PORT));
  return {
    env: env.NODE_ENV,
    dataDir: env.DATA_DIR,
    databaseUrl: env.DATABASE_URL,
    embeddedPgPort: env.EMBEDDED_PG_PORT,
    temporal: {
      address: env.TEMPORAL_ADDRESS ?? `localhost:${env.TEMPORAL_DEV_PORT}`,
      namespace: env.TEMPORAL_NAMESPACE,
      taskQueue: env.TEMPORAL_TASK_QUEUE,
      uiUrl: env.TEMPORAL_UI_URL ?? `http://localhost:${env.TEMPORAL_UI_PORT}`,
      uiPort: env.TEMPORAL_UI_PORT,
      devPort: env.TEMPORAL_DEV_PORT,
      managed: env.TEMPORAL_ADDRESS === undefined,
      apiKey: env.TEMPORAL_API_KEY,
      // Production has refused a missing PAYLOAD_KEYS by now.
      payloadKeys: env.PAYLOAD_KEYS ?? developmentPayloadKeys(env.DATA_DIR),
      tls: temporalTlsFrom(env),
      startTimeoutMs: env.TEMPORAL_START_TIMEOUT_MS,
      updateTimeoutMs: env.TEMPORAL_UPDATE_TIMEOUT_MS,
    },
    workflowBundlePath: env.WORKFLOW_BUNDLE_PATH,
    host: env.HOST,
    port: env.PORT,
    http: { headersTimeoutMs: env.HTTP_HEADERS_TIMEOUT_MS, keepAliveTimeoutMs: env.HTTP_KEEP_ALIVE_TIMEOUT_MS },
    mllp: mllpFrom(env),
    simulatorPort: env.SIMULATOR_PORT,
    apiKeys,
    rateLimitPerMinute: env.RATE_LIMIT_PER_MINUTE,
    uploadLimitBytes: env.UPLOAD_LIMIT_BYTES,
    faultInjection: (env.FAULT_INJECTION ?? (production ? 'disabled' : 'enabled')) === 'enabled',
    providers,
    simulatedProviders: env.PROVIDERS === undefined,
    billing: billingFrom(env),
    rulesConfidence: env.RULES_CONFIDENCE,
    pipeline: pipelineFrom(env, providers),
    breaker: { failureThreshold: env.BREAKER_FAILURE_THRESHOLD, cooldownMs: env.BREAKER_COOLDOWN_MS },
    health: { latencyMs: env.HEALTH_LATENCY_MS, cacheMs: env.HEALTH_CACHE_MS },
    ingestStarts: { concurrency: env.INGEST_START_CONCURRENCY, backlog: env.INGEST_START_BACKLOG },
    reconcile: { everyMs: env.RECONCILE_INTERVAL_MS, input: { quietForMs: env.RECONCILE_QUIET_MS, limit: 1_000 } },
    log: { level: env.LOG_LEVEL, pretty: env.LOG_FORMAT === 'pretty' },
    otlpEndpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT,
    workerMetricsAddress: env.WORKER_METRICS_ADDRESS || undefined,
    workerNice: env.WORKER_NICE,
    metricsToken: env.METRICS_TOKEN,
    maxCachedWorkflows: env.WORKER_MAX_CACHED_WORKFLOWS,
  };
}
