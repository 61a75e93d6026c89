/**
 * The application metrics of DESIGN §6, served by the API's /metrics. Every value is read from
 * PostgreSQL at scrape time, so it is right whichever process did the work and survives restarts;
 * the per-call latency histograms come from the workers' Temporal metrics endpoint.
 */
import type { Client } from '@temporalio/client';
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { RECORD_STATUSES } from '../contract';
import type { Db } from '../db/client';
import { findStuckRecords } from '../reconcile/stuck';

export interface ApiMetricsDeps {
  db: Db;
  temporal: Client;
  stuckAfterMs: number;
}

/** A counter whose value is a total kept in the database: reset, then set, on every scrape. */
function storedCounter<L extends string>(registry: Registry, name: string, help: string, labelNames: L[], read: () => Promise<Array<{ labels: Record<L, string>; value: number }>>) {
  return new Counter({
    name,
    help,
    labelNames,
    registers: [registry],
    async collect() {
      const rows = await read();
      this.reset();
      for (const { labels, value } of rows) this.inc(labels as never, value);
    },
  });
}

export function createApiMetrics({ db, temporal, stuckAfterMs }: ApiMetricsDeps): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  new Gauge({
    name: 'records_total',
    help: 'Records by status',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      const rows = await db.record.groupBy({ by: ['status'], _count: { _all: true } });
      for (const status of RECORD_STATUSES) this.set({ status }, rows.find((r) => r.status === status)?._count._all ?? 0);
    },
  });
  storedCounter(registry, 'charges_total', 'Charges made (one per record at most)', [], async () => [{ labels: {}, value: await db.charge.count() }]);
  storedCounter(registry, 'refunds_total', 'Charges refunded', [], async () => [{ labels: {}, value: await db.charge.count({ where: { status: 'refunded' } }) }]);
  storedCounter(registry, 'duplicate_charges_prevented_total', 'Charge attempts that found the charge already made and billed nothing', [], async () => {
    const { _sum } = await db.charge.aggregate({ _sum: { duplicateAttempts: true } });
    return [{ labels: {}, value: _sum.duplicateAttempts ?? 0 }];
  });
  storedCounter(registry, 'model_calls_total', 'Model calls by provider and outcome', ['provider', 'outcome'], async () => {
    const rows = await db.modelCall.groupBy({ by: ['provider', 'outcome'], _count: { _all: true } });
    return rows.map((r) => ({ labels: { provider: r.provider, outcome: r.outcome }, value: r._count._all }));
  });
  new Gauge({
    name: 'records_stuck',
    help: 'Records received/processing with no running workflow (should be 0)',
    registers: [registry],
    async collect() {
      this.set((await findStuckRecords(db, temporal, { quietForMs: stuckAfterMs, limit: 1000 })).length);
    },
  });
  return registry;
}
