/**
 * The MLLP listener as a process of its own (`npm run mllp`; `npm start` supervises it): a crash
 * or a flood of HL7 traffic does not take the HTTP API with it, and the supervisor restarts it.
 */
import type { AppConfig } from '../config';
import { createLogger } from '../config/logger';
import { requireDatabaseUrl } from '../config/runtime';
import { ensureDefaultAccount } from '../db/accounts';
import { createDb, statementsOf } from '../db/client';
import { createIngest } from '../ingest';
import { ingestSettings } from '../ingest/settings';
import { connectClient } from '../temporal/client';
import { startMllpListener, type MllpListener } from './listener';

export async function startMllp(config: AppConfig): Promise<MllpListener> {
  const log = createLogger(config.log, 'mllp');
  const db = createDb(requireDatabaseUrl(config));
  await ensureDefaultAccount(statementsOf(db), config.billing.currency);
  const temporal = await connectClient(config.temporal);
  const ingest = createIngest(ingestSettings(config, db, temporal));
  const listener = await startMllpListener({ settings: config.mllp, host: config.host, ingest, log });
  return {
    port: listener.port,
    async close() {
      await listener.close();
      await temporal.connection.close();
      await db.$disconnect();
    },
  };
}
