/**
 * POST /v1/uploads: a JSON Lines or CSV file, streamed through busboy and ingested record by
 * record through the same `ingest` as POST /v1/records (DESIGN G5). Lines are read only as fast as
 * they are ingested, so a slow pipeline slows the upload down (TCP backpressure) instead of the
 * file piling up in memory.
 */
import busboy from 'busboy';
import { Router, type Request, type Response } from 'express';
import type { Readable } from 'node:stream';
import type { Logger } from 'pino';
import { z } from 'zod';
import { PipelineUnavailableError, type Ingest, type IngestOutcome } from '../ingest';
import { formatHint, uploadEntries, UploadFormatError, type UploadEntry } from '../ingest/files';
import { allow, authOf } from './auth';
import { Problem, sendProblem } from './problem';

const LINE_OUTCOMES = ['accepted', 'duplicate', 'conflict', 'over_budget', 'invalid', 'unavailable'] as const;
type Outcome = (typeof LINE_OUTCOMES)[number];

interface LineOutcome {
  line: number;
  id?: string;
  outcome: Outcome;
  reason?: string;
}

/** One line's ingest, into the uploading key's account. */
type IngestLine = (candidate: unknown) => Promise<IngestOutcome>;

export interface UploadDeps {
  ingest: Ingest;
  limitBytes: number;
  log: Logger;
}

/** The same bound as one POST /v1/records body: a line is one such body. */
const MAX_RECORD_BYTES = 1024 * 1024;
const CONCURRENT_LINES = 8;
/** Room for the multipart boundaries and part headers around a file of the largest allowed size. */
const MULTIPART_OVERHEAD_BYTES = 16 * 1024;

/** The request cannot be read as an upload (400); nothing after the failing point was ingested. */
class InvalidUpload extends Error {}

class UploadTruncated extends Error {}

const candidateIdSchema = z.object({ id: z.string() });
const idOf = (candidate: unknown): { id?: string } => {
  const parsed = candidateIdSchema.safeParse(candidate);
  return parsed.success ? { id: parsed.data.id } : {};
};

function outcomeOf(line: number, candidate: unknown, result: IngestOutcome): LineOutcome {
  switch (result.outcome) {
    case 'accepted':
    case 'duplicate':
      return { line, id: result.id, outcome: result.outcome };
    case 'conflict':
    case 'over_budget':
      return { line, id: result.id, outcome: result.outcome, reason: result.message };
    case 'invalid':
      return { line, ...idOf(candidate), outcome: 'invalid', reason: result.message };
  }
}

class UploadReport {
  readonly outcomes: LineOutcome[] = [];
  readonly counts = Object.fromEntries(LINE_OUTCOMES.map((o) => [o, 0])) as Record<Outcome, number>;
  truncated = false;
  /** Set at the first line the pipeline could not take: the lines after it are not attempted. */
  unavailable: string | undefined;

  add(outcome: LineOutcome): void {
    this.outcomes.push(outcome);
    this.counts[outcome.outcome] += 1;
  }
}

async function ingestEntry(entry: UploadEntry, ingest: IngestLine, report: UploadReport): Promise<LineOutcome> {
  if ('invalid' in entry) return { line: entry.line, ...(entry.id === undefined ? {} : { id: entry.id }), outcome: 'invalid', reason: entry.invalid };
  const { line, candidate } = entry;
  if (report.unavailable) return { line, ...idOf(candidate), outcome: 'unavailable', reason: `not attempted: ${report.unavailable}` };
  try {
    return outcomeOf(line, candidate, await ingest(candidate));
  } catch (err) {
    if (!(err instanceof PipelineUnavailableError)) throw err;
    report.unavailable = `the pipeline became unavailable at line ${line}`;
    return { line, ...idOf(candidate), outcome: 'unavailable', reason: err.message };
  }
}

/** The file's bytes; a file cut at the size limit ends in an error, so its partial last line is never ingested. */
async function* capped(file: Readable & { truncated?: boolean }): AsyncGenerator<Buffer> {
  for await (const chunk of file) yield chunk as Buffer;
  if (file.truncated) throw new UploadTruncated();
}

type Settled = { outcome: LineOutcome } | { error: unknown };

/**
 * Up to CONCURRENT_LINES records in flight, which hides the database and Temporal round trips;
 * outcomes are still reported in line order, and a line waits for an earlier one with the same id
 * so that "accepted" goes to the first of them, as it would one line at a time.
 */
class IngestWindow {
  private readonly running: Array<{ id: string | undefined; settled: Promise<Settled> }> = [];

  constructor(
    private readonly ingest: IngestLine,
    private readonly report: UploadReport,
  ) {}

  async add(entry: UploadEntry): Promise<void> {
    const { id } = 'candidate' in entry ? idOf(entry.candidate) : {};
    while (this.running.length >= CONCURRENT_LINES || (id !== undefined && this.running.some((r) => r.id === id))) await this.settleOldest();
    const settled = ingestEntry(entry, this.ingest, this.report).then(
      (outcome) => ({ outcome }),
      (error: unknown) => ({ error }),
    );
    this.running.push({ id, settled });
  }

  async drain(): Promise<void> {
    while (this.running.length > 0) await this.settleOldest();
  }

  private async settleOldest(): Promise<void> {
    const oldest = this.running.shift();
    if (!oldest) return;
    const settled = await oldest.settled;
    if ('error' in settled) throw settled.error;
    this.report.add(settled.outcome);
  }
}

async function ingestFile(file: Readable, info: busboy.FileInfo, ingest: IngestLine): Promise<UploadReport> {
  const report = new UploadReport();
  const window = new IngestWindow(ingest, report);
  try {
    for await (const entry of uploadEntries(capped(file), formatHint(info.filename, info.mimeType), MAX_RECORD_BYTES)) await window.add(entry);
  } catch (err) {
    if (err instanceof UploadFormatError) throw new InvalidUpload(err.message);
    if (!(err instanceof UploadTruncated)) throw err;
    report.truncated = true;
  }
  await window.drain();
  return report;
}

function receive(req: Request, ingest: IngestLine, limitBytes: number): Promise<UploadReport> {
  return new Promise((resolve, reject) => {
    let parser: busboy.Busboy;
    try {
      parser = busboy({ headers: req.headers, limits: { files: 1, fileSize: limitBytes, fields: 8, fieldSize: 1024 } });
    } catch (err) {
      return reject(new InvalidUpload(`send multipart/form-data with a field "file" (${(err as Error).message})`));
    }
    let work: Promise<UploadReport> | undefined;
    parser.on('file', (name, file, info) => {
      if (name !== 'file' || work) return void file.resume();
      work = ingestFile(file, info, ingest);
      // A failed file is still drained, so busboy reaches its end and the socket stays usable.
      work.catch((err: Error) => {
        file.resume();
        reject(err);
      });
    });
    parser.on('error', (err) => reject(new InvalidUpload(`malformed multipart body: ${(err as Error).message}`)));
    // A client gone mid-upload ends the file stream with an error instead of leaving it waiting.
    req.once('close', () => {
      if (!req.complete) parser.destroy(new Error('the client closed the connection mid-upload'));
    });
    parser.on('close', () => (work ? work.then(resolve, reject) : reject(new InvalidUpload('the multipart field "file" is missing'))));
    req.pipe(parser);
  });
}

function tooLarge(res: Response, limitBytes: number, report?: UploadReport): void {
  const detail = report
    ? `the file exceeds ${limitBytes} bytes: the lines before the cut were ingested (outcomes below), the rest was not read; upload the rest as another file`
    : `uploads are limited to ${limitBytes} bytes`;
  // Without reading the body, the connection cannot be reused for another request.
  if (!report) res.set('Connection', 'close');
  sendProblem(res, 'payload_too_large', detail, report ? { lines: report.outcomes.length, counts: report.counts, outcomes: report.outcomes } : {});
}

export function uploadRoutes({ ingest, limitBytes, log }: UploadDeps): Router {
  const router = Router();
  router.post('/uploads', allow('submit'), async (req: Request, res: Response) => {
    if (Number(req.get('content-length') ?? 0) > limitBytes + MULTIPART_OVERHEAD_BYTES) return tooLarge(res, limitBytes);
    const started = Date.now();
    const { account } = authOf(res);
    let report: UploadReport;
    try {
      report = await receive(req, (candidate) => ingest('upload', candidate, account), limitBytes);
    } catch (err) {
      if (!(err instanceof InvalidUpload)) throw err;
      throw new Problem('invalid_upload', err.message);
    }
    log.info({ counts: report.counts, truncated: report.truncated, ms: Date.now() - started }, 'upload ingested');
    if (report.truncated) return tooLarge(res, limitBytes, report);
    res.json({ lines: report.outcomes.length, counts: report.counts, outcomes: report.outcomes });
  });
  return router;
}
