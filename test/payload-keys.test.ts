/**
 * Payload encryption through key rotation (DESIGN §14): records started and parked under key 1
 * complete on workers whose current key is 2 with key 1 still listed, and Temporal holds nothing
 * but `binary/encrypted` payloads, under key 1 and then key 2. A worker missing the key of a
 * history fails that workflow's task with an error naming the key, keeps running, and the record
 * completes once a worker with the key is back.
 */
import { Client } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { Worker } from '@temporalio/worker';
import type { temporal } from '@temporalio/proto';
import { createActivities } from '../activities';
import { resolveSignal, workflowIdFor, type RecordStatusView } from '../contract';
import { createDb, type Db } from '../db/client';
import { createSqlClient, type SqlClient } from '../db/sql';
import { newPayloadKey, payloadKeysSetting } from '../dev/payload-keys';
import { startSimulator, type Simulator } from '../dev/simulator';
import { createIngest } from '../ingest';
import { ingestSettings } from '../ingest/settings';
import { payloadDataConverter } from '../temporal/client';
import { ENCRYPTED_ENCODING, KEY_ID_METADATA, type PayloadKey } from '../temporal/codec';
import { createWorkers } from '../workers/create';
import { uniqueId } from './support/records';
import { requiredEnv, startTemporal, testActivityDeps, testConfig, testFaults } from './support/stack';

const K1 = newPayloadKey('k1');
const K2 = newPayloadKey('k2');
const PARK_AT_PERSIST = { faults: [{ step: 'persist' as const, when: 'before' as const, times: 50 }] };

let env: TestWorkflowEnvironment;
let simulator: Simulator;
let db: Db;
/** The worker's side: its steps run on a pool of their own, as in bin/worker.ts. */
let workerDb: SqlClient;

beforeAll(async () => {
  env = await startTemporal([K1]);
  simulator = await startSimulator({ port: 0 });
  db = createDb(requiredEnv('DATABASE_URL'));
  workerDb = createSqlClient(requiredEnv('DATABASE_URL'));
});
afterAll(async () => {
  await env?.teardown();
  await simulator?.close();
  await db?.$disconnect();
  await workerDb?.end();
});

const configWith = (keys: PayloadKey[]) => testConfig(simulator.port, { PAYLOAD_KEYS: payloadKeysSetting(keys) });
const clientWith = (keys: PayloadKey[]) => new Client({ connection: env.connection, dataConverter: payloadDataConverter(keys) });

/** A worker process's workers, as if it had started with PAYLOAD_KEYS set to `keys`. */
async function workersWith(keys: PayloadKey[]): Promise<{ workers: Worker[]; stop(): Promise<void> }> {
  const config = configWith(keys);
  const workers = await createWorkers({
    config,
    connection: env.nativeConnection,
    activities: createActivities(testActivityDeps(config, workerDb)),
    workflowBundle: { codePath: requiredEnv('TEST_WORKFLOW_BUNDLE') },
    activityInterceptors: testFaults(workerDb).activityInterceptors,
  });
  const running = workers.map((w) => w.run());
  return {
    workers,
    async stop() {
      for (const w of workers) w.shutdown();
      await Promise.all(running);
    },
  };
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = await probe();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const parked = (id: string) =>
  until(`${id} parked`, async () => ((await db.record.findUnique({ where: { id } }))?.status === 'needs_investigation' ? true : undefined));

const rawHistory = async (id: string) =>
  (await env.client.workflowService.getWorkflowExecutionHistory({ namespace: 'default', execution: { workflowId: workflowIdFor(id) } })).history?.events ?? [];

/**
 * The payloads of an event that the codec handles, in order. Search attributes stay readable to
 * the server, which indexes them, and headers (fault plans, trace context) do not pass through
 * codecs; neither carries record data.
 */
function codecPayloads(value: unknown, found: temporal.api.common.v1.IPayload[] = []): temporal.api.common.v1.IPayload[] {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return found;
  if ('metadata' in value && 'data' in value) return [...found, value as temporal.api.common.v1.IPayload];
  // A marker's bookkeeping (a local activity's id, type, attempt and time; a patch's id) is written
  // as plain JSON by the SDK's core, which no codec sees; only the activity's result is ours.
  if ('markerName' in value && 'details' in value) return codecPayloads((value.details as Record<string, unknown> | null)?.result, found);
  return Object.entries(value)
    .filter(([key]) => key !== 'searchAttributes' && key !== 'header')
    .reduce((acc, [, child]) => codecPayloads(child, acc), found);
}

const text = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? []).toString();

/** A JSON.stringify replacer that shows payload bytes as the text they would be if unencrypted. */
function bytesAsText(this: Record<string, unknown>, key: string, value: unknown): unknown {
  const raw = this[key];
  return raw instanceof Uint8Array ? Buffer.from(raw).toString() : value;
}

it('rotates keys without downtime: records parked under key 1 complete under key 2, and history holds only ciphertext', async () => {
  const ids = [uniqueId('rotate-a'), uniqueId('rotate-b'), uniqueId('removed-key')];
  const [a, b, orphan] = ids as [string, string, string];
  const before = await workersWith([K1]);
  const ingest = createIngest(ingestSettings(configWith([K1]), db, clientWith([K1])));
  for (const id of ids) await ingest('api', { id, input: { text: `Creatinine 88 umol/L for ${id}.` }, simulate: PARK_AT_PERSIST });
  await Promise.all(ids.map(parked));
  await before.stop();

  // Key 1 removed: the orphan's next workflow task replays a history written under it.
  const missing = await workersWith([K2]);
  await clientWith([K2]).workflow.getHandle(workflowIdFor(orphan)).signal(resolveSignal, { action: 'retry' });
  const failed = await until('a workflow task failed for the missing key', async () =>
    (await rawHistory(orphan)).find((e) => e.workflowTaskFailedEventAttributes)?.workflowTaskFailedEventAttributes?.failure?.message ?? undefined,
  );
  expect(failed).toContain('payload encrypted under key "k1", which is not among PAYLOAD_KEYS (k2)');
  expect(missing.workers.map((w) => w.getState())).toEqual(missing.workers.map(() => 'RUNNING'));
  await missing.stop();

  // Key 2 current, key 1 still listed for decryption.
  const after = await workersWith([K2, K1]);
  try {
    const client = clientWith([K2, K1]);
    for (const id of [a, b]) await client.workflow.getHandle(workflowIdFor(id)).signal(resolveSignal, { action: 'retry' });
    const views = await Promise.all(ids.map((id) => client.workflow.getHandle(workflowIdFor(id)).result() as Promise<RecordStatusView>));
    expect(views.map((v) => v.status)).toEqual(['completed', 'completed', 'completed']);
  } finally {
    await after.stop();
  }

  for (const id of [a, b]) {
    const history = await rawHistory(id);
    // What no codec sees (markers' bookkeeping, search attributes) holds no record text either.
    expect(JSON.stringify(history, bytesAsText)).not.toContain('Creatinine');
    const payloads = history.flatMap((event) => codecPayloads(event));
    expect(new Set(payloads.map((p) => text(p.metadata?.encoding)))).toEqual(new Set([ENCRYPTED_ENCODING]));
    const keyIds = payloads.map((p) => text(p.metadata?.[KEY_ID_METADATA]));
    expect(keyIds.filter((key, i) => key !== keyIds[i - 1])).toEqual(['k1', 'k2']);
  }
}, 180_000);
