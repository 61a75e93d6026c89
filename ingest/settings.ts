/**
 * How a process builds its ingest and its record starter from configuration, so every entry point
 * (API, MLLP, the reconciler) starts records the same way. The composition root of the ingest
 * side: where fault plans are accepted, it installs the fault-injection layer's extension.
 */
import type { Client } from '@temporalio/client';
import type { Logger } from 'pino';
import type { AppConfig } from '../config';
import type { Db } from '../db/client';
import { faultPlanIngest } from '../faults/ingest';
import { createIngest, createRecordStarter, type IngestDeps, type StarterDeps } from '.';
import { createBackgroundStarts } from './background';

export function starterSettings(config: AppConfig, temporal: Client): StarterDeps {
  return { temporal, taskQueue: config.temporal.taskQueue, pipeline: config.pipeline, startTimeoutMs: config.temporal.startTimeoutMs };
}

export function ingestSettings(config: AppConfig, db: Db, temporal: Client): IngestDeps {
  return { ...starterSettings(config, temporal), db, extension: faultPlanIngest(config.faultInjection), defaultPriceCents: config.billing.priceCents };
}

/** The HTTP API's ingest: it answers once the row is stored, and starts the workflow behind the answer (background.ts). */
export function apiIngest(config: AppConfig, db: Db, temporal: Client, log: Logger) {
  const settings = ingestSettings(config, db, temporal);
  const starts = createBackgroundStarts(createRecordStarter(settings), config.ingestStarts, log);
  return { ingest: createIngest({ ...settings, background: starts }), starts };
}
