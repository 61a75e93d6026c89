/**
 * How a process builds its ingest and its record starter from configuration, so every entry point
 * (API, MLLP, the reconciler) starts records the same way. The composition root of the ingest
 * side: where fault plans are accepted, it installs the fault-injection layer's extension.
 */
import type { Client } from '@temporalio/client';
import type { AppConfig } from '../config';
import type { Db } from '../db/client';
import { faultPlanIngest } from '../faults/ingest';
import type { IngestDeps, StarterDeps } from '.';

export function starterSettings(config: AppConfig, temporal: Client): StarterDeps {
  return { temporal, taskQueue: config.temporal.taskQueue, pipeline: config.pipeline, startTimeoutMs: config.temporal.startTimeoutMs };
}

export function ingestSettings(config: AppConfig, db: Db, temporal: Client): IngestDeps {
  return { ...starterSettings(config, temporal), db, extension: faultPlanIngest(config.faultInjection), defaultPriceCents: config.billing.priceCents };
}
