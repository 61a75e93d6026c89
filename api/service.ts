import type { Server } from 'node:http';
import type { AppConfig } from '../config';
import { createLogger } from '../config/logger';
import { listenOn, requireDatabaseUrl } from '../config/runtime';
import { ensureDefaultAccount } from '../db/accounts';
import { createDb, statementsOf } from '../db/client';
import { apiIngest } from '../ingest/settings';
import { createProviderClients } from '../providers/registry';
import { warnDeprecated } from '../providers/settings';
import { connectClient } from '../temporal/client';
import { startTracing } from '../telemetry/tracing';
import { createConfiguredApp } from './app';
import { createHttpServer } from './server';

/** `secrets`: where the providers' API keys are (apiKeyEnv), as the worker has them, for /health/inference. */
export async function startApi(config: AppConfig, secrets: Readonly<Record<string, string | undefined>>): Promise<{ server: Server; close(): Promise<void> }> {
  const log = createLogger(config.log, 'api');
  const providers = createProviderClients(config.providers, secrets);
  warnDeprecated(config.providers, log);
  const db = createDb(requireDatabaseUrl(config));
  await ensureDefaultAccount(statementsOf(db), config.billing.currency);
  const tracing = await startTracing(config.otlpEndpoint, 'durable-inference-api');
  const temporal = await connectClient(config.temporal, tracing ? [tracing.plugin] : []);
  const { ingest, starts } = apiIngest(config, db, temporal, log);
  const app = createConfiguredApp(config, { db, temporal, ingest, log, tracer: tracing?.tracer, providers });
  const server = createHttpServer(app, config.http);
  await listenOn(server, { port: config.port, host: config.host, setting: 'PORT' });
  log.info({ host: config.host, port: config.port }, 'API listening');
  return {
    server,
    async close() {
      await new Promise((resolve) => server.close(resolve));
      await starts.close(config.temporal.startTimeoutMs);
      await temporal.connection.close();
      await db.$disconnect();
      await tracing?.shutdown();
    },
  };
}

