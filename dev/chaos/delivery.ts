/**
 * Sends records into the stack through the path each was planned for, in parallel lanes: single
 * POSTs, multipart uploads in batches, and HL7 over a few MLLP connections. A record counts as
 * delivered once the stack acknowledged it (202/200, an upload line accepted or duplicate, AA).
 */
import type { ApiClient, IngestAnswer, RecordBody } from './api-client';
import { createMllpSender } from './mllp-client';
import type { Path, PlannedRecord } from './plan';
import { chunks, forEachConcurrently } from './pool';
import { untilDone } from './retry';
import type { RunStats } from './stats';

export interface DeliveryOptions {
  api: ApiClient;
  mllpPort: number;
  /** MSH-7 of every HL7 message of the run, so a resent message is the same input. */
  messageTime: string;
  deadline: number;
  stats: RunStats;
  /** Resolves when the stack may take more work; called before each record (or upload batch) is sent. */
  admit: () => Promise<void>;
}

export type Delivered = (record: PlannedRecord, answer: IngestAnswer) => void;

const HTTP_CONCURRENCY = 6;
const UPLOAD_BATCH = 20;
const UPLOAD_CONCURRENCY = 2;
const MLLP_CONNECTIONS = 3;

const bodyOf = (record: PlannedRecord): RecordBody => ({ id: record.id, input: { text: record.text }, ...(record.faults ? { simulate: record.faults } : {}) });

async function overHttp(records: PlannedRecord[], { api, admit }: DeliveryOptions, delivered: Delivered): Promise<void> {
  await forEachConcurrently(records, HTTP_CONCURRENCY, async (record) => {
    await admit();
    delivered(record, await api.postRecord(bodyOf(record)));
  });
}

/** A batch is re-uploaded until no line of it comes back `unavailable`; lines already taken come back as duplicates. */
async function uploadBatch(batch: PlannedRecord[], options: DeliveryOptions, delivered: Delivered): Promise<void> {
  let pending = batch;
  await untilDone(
    async () => {
      const answers = await options.api.upload(pending.map(bodyOf));
      const unavailable: PlannedRecord[] = [];
      for (const record of pending) {
        const answer = answers.get(record.id) ?? { outcome: 'rejected', reason: 'no outcome for this line' };
        if (answer === 'unavailable') unavailable.push(record);
        else delivered(record, answer);
      }
      pending = unavailable;
      return pending.length === 0 ? { done: undefined } : { retry: `${pending.length} lines unavailable` };
    },
    { initialMs: 200, maxMs: 2_000, deadline: options.deadline, onRetry: () => (options.stats.ingestion.upload.retries += 1) },
  );
}

async function overUploads(records: PlannedRecord[], options: DeliveryOptions, delivered: Delivered): Promise<void> {
  await forEachConcurrently(chunks(records, UPLOAD_BATCH), UPLOAD_CONCURRENCY, async (batch) => {
    await options.admit();
    await uploadBatch(batch, options, delivered);
  });
}

async function overMllp(records: PlannedRecord[], options: DeliveryOptions, delivered: Delivered): Promise<void> {
  const policy = { initialMs: 200, maxMs: 2_000, deadline: options.deadline, onRetry: () => (options.stats.ingestion.mllp.retries += 1) };
  // Each lane keeps to one connection, as an interface engine's outbound channel does.
  const lanes = Array.from({ length: MLLP_CONNECTIONS }, (_, lane) => records.filter((_r, i) => i % MLLP_CONNECTIONS === lane));
  await Promise.all(
    lanes.map(async (mine) => {
      const sender = createMllpSender(options.mllpPort, options.messageTime, policy);
      try {
        for (const record of mine) {
          await options.admit();
          delivered(record, await sender.send(record));
        }
      } finally {
        sender.close();
      }
    }),
  );
}

const LANES: Record<Path, (records: PlannedRecord[], options: DeliveryOptions, delivered: Delivered) => Promise<void>> = {
  api: overHttp,
  upload: overUploads,
  mllp: overMllp,
};

export async function deliver(records: readonly PlannedRecord[], options: DeliveryOptions, delivered: Delivered): Promise<void> {
  await Promise.all(
    Object.entries(LANES).map(([path, lane]) => lane(records.filter((r) => r.path === path), options, delivered)),
  );
}
