/**
 * Uploaded files (JSON Lines, or CSV with the header `id,text`) as a stream of candidate records
 * for `ingest`. Memory stays bounded whatever the file: it is read one line at a time, and a line
 * or CSV record longer than the limit is reported as invalid instead of being accumulated. Text
 * must be UTF-8, as for POST /v1/records: a line that is not is reported, never stored mangled.
 * The line reader is this file's own, for both formats: node:readline holds a line whole however
 * long, split2 drops an over-long one without a trace (and with it the line numbers), and both
 * decode bad bytes as U+FFFD.
 */
import { CsvError, parse, type CsvErrorCode } from 'csv-parse/sync';

export type UploadFormat = 'jsonl' | 'csv';

/** One record of a file, named by the line it starts on: a candidate for `ingest`, or why it is not one. */
export type UploadEntry = { line: number; candidate: unknown } | { line: number; invalid: string; id?: string };

/** The file as a whole cannot be read as an upload (e.g. a CSV without the `id,text` header). */
export class UploadFormatError extends Error {
  override name = 'UploadFormatError';
}

/** A line over the limit or not in UTF-8 carries why instead of its text. */
type Line = { number: number; text: string } | { number: number; error: string };

const NEWLINE = 0x0a;
const JSONL_TYPES = ['application/jsonl', 'application/x-ndjson', 'application/x-jsonlines', 'application/jsonlines'];

// Strict, so bad bytes are reported rather than replaced; a leading byte-order mark is dropped.
const utf8 = new TextDecoder('utf-8', { fatal: true });

// CRLF files: the CR belongs to the line ending.
function decodeLine(number: number, bytes: Buffer): Line {
  try {
    return { number, text: utf8.decode(bytes).replace(/\r$/, '') };
  } catch {
    return { number, error: 'line is not valid UTF-8' };
  }
}

export async function* readLines(source: AsyncIterable<Buffer>, maxBytes: number): AsyncGenerator<Line> {
  let parts: Buffer[] = [];
  let size = 0;
  let number = 0;
  const keep = (piece: Buffer) => {
    size += piece.length;
    if (size <= maxBytes) parts.push(piece);
    else parts = [];
  };
  const finish = (): Line => {
    number += 1;
    const line = size > maxBytes ? { number, error: `line is longer than ${maxBytes} bytes` } : decodeLine(number, Buffer.concat(parts));
    parts = [];
    size = 0;
    return line;
  };
  for await (const chunk of source) {
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
      keep(chunk.subarray(start, end));
      start = end + 1;
      yield finish();
    }
    keep(chunk.subarray(start));
  }
  if (size > 0) yield finish();
}

/** What the name or the declared type says; undefined leaves it to the content. */
export function formatHint(filename: string | undefined, mimeType: string): UploadFormat | undefined {
  const extension = /\.([a-z]+)$/i.exec(filename ?? '')?.[1]?.toLowerCase();
  if (extension === 'csv' || mimeType === 'text/csv') return 'csv';
  if (extension === 'jsonl' || extension === 'ndjson' || JSONL_TYPES.includes(mimeType)) return 'jsonl';
  return undefined;
}

const isBlank = (line: Line): boolean => 'text' in line && line.text.trim() === '';

export async function* uploadEntries(source: AsyncIterable<Buffer>, hint: UploadFormat | undefined, maxBytes: number): AsyncGenerator<UploadEntry> {
  const lines = readLines(source, maxBytes);
  let first = await lines.next();
  while (!first.done && isBlank(first.value)) first = await lines.next();
  if (first.done) return;
  // An unreadable first line cannot be a CSV header, so it is reported as a JSON line would be.
  const format = hint ?? ('text' in first.value && !first.value.text.trimStart().startsWith('{') ? 'csv' : 'jsonl');
  if (format === 'csv') yield* csvEntries(first.value, lines, maxBytes);
  else yield* jsonlEntries(first.value, lines);
}

function jsonlEntry(line: Line): UploadEntry | undefined {
  if ('error' in line) return { line: line.number, invalid: line.error };
  if (line.text.trim() === '') return undefined;
  try {
    return { line: line.number, candidate: JSON.parse(line.text) as unknown };
  } catch {
    // V8's message quotes the line, which is record text (G8): the outcome names the line only.
    return { line: line.number, invalid: 'not valid JSON' };
  }
}

async function* jsonlEntries(first: Line, rest: AsyncIterable<Line>): AsyncGenerator<UploadEntry> {
  for await (const line of prepend(first, rest)) {
    const entry = jsonlEntry(line);
    if (entry) yield entry;
  }
}

async function* prepend<T>(first: T, rest: AsyncIterable<T>): AsyncGenerator<T> {
  yield first;
  yield* rest;
}

/** `at` is the line csv-parse stopped on, counted its way: each CR and each LF starts a line. */
type CsvResult = { fields: string[] } | { open: true } | { error: string; at: number };

const CSV_ERRORS: Partial<Record<CsvErrorCode, string>> = {
  CSV_INVALID_CLOSING_QUOTE: 'text after the closing quote of a field',
  INVALID_OPENING_QUOTE: 'a quote inside an unquoted field (quote the whole field and double the quote)',
};

/** One record by RFC 4180, or `open` while a quoted field runs past the end of `text`. */
function parseCsv(text: string): CsvResult {
  try {
    // Lines are joined with LF, so a CR left inside one is text, not a record delimiter.
    return { fields: parse(text, { record_delimiter: '\n' })[0] ?? [] };
  } catch (err) {
    if (!(err instanceof CsvError)) throw err;
    return err.code === 'CSV_QUOTE_NOT_CLOSED' ? { open: true } : { error: CSV_ERRORS[err.code] ?? `not valid CSV (${err.code})`, at: Number(err.lines) };
  }
}

type CsvRow = (line: number, fields: string[]) => UploadEntry;

/** The header names the columns; only `id` and `text`, in either order, make a record body. */
function csvHeader(line: Line): CsvRow {
  const parsed = 'text' in line ? parseCsv(line.text) : undefined;
  const names = parsed && 'fields' in parsed ? parsed.fields.map((f) => f.trim().toLowerCase()) : [];
  const idAt = names.indexOf('id');
  const textAt = names.indexOf('text');
  if (names.length !== 2 || idAt === -1 || textAt === -1) {
    // Described, not quoted: a file without its header starts with a record (G8).
    const found = 'text' in line ? `has ${names.length} field(s) and not both names` : line.error;
    throw new UploadFormatError(`a CSV upload starts with the header id,text (line ${line.number} ${found})`);
  }
  return (line, fields) => {
    const [id, text] = [fields[idAt], fields[textAt]];
    if (fields.length !== 2 || id === undefined || text === undefined) {
      return { line, invalid: `expected 2 fields (id,text), found ${fields.length}`, ...(id ? { id } : {}) };
    }
    return { line, candidate: { id, input: { text } } };
  };
}

/** Lines, of which some can be put back to be read again. */
class Rereadable {
  // Reversed: the next line to read again is the last.
  private readonly again: Line[] = [];

  constructor(private readonly lines: AsyncIterator<Line>) {}

  async next(): Promise<Line | undefined> {
    const again = this.again.pop();
    if (again) return again;
    const next = await this.lines.next();
    return next.done ? undefined : next.value;
  }

  unread(lines: readonly Line[]): void {
    for (const line of [...lines].reverse()) this.again.push(line);
  }
}

/** Which of `lines` (joined with LF) csv-parse's line count `at` falls on: it counts each CR as well as each LF. */
function lineAt(at: number, lines: readonly string[]): number {
  let breaks = at - 1;
  const index = lines.findIndex((text) => (breaks -= text.split('\r').length) < 0);
  return index === -1 ? lines.length - 1 : index;
}

/**
 * A record's lines are gathered until its quotes balance (an odd count is an open quoted field),
 * then csv-parse reads the record whole. Not streamed through csv-parse, because there a bad record
 * costs more than its own lines: skip_records_with_error stays inside the field when text follows a
 * closing quote, swallowing the records after it, and max_record_size drops the rest of the chunk.
 * Nor asked at each line whether a field is still open: ~50 µs a call. A CSV error ends the record on
 * its line and the lines gathered after that are read again, as a line-by-line parser would.
 */
async function* csvEntries(header: Line, source: AsyncIterable<Line>, maxBytes: number): AsyncGenerator<UploadEntry> {
  const toEntry = csvHeader(header);
  const lines = new Rereadable(source[Symbol.asyncIterator]());
  let record: { start: number; size: number; quotes: number; lines: string[] } | undefined;
  const settle = (why = 'a quoted field is never closed', ending: Line[] = []): UploadEntry | undefined => {
    if (!record) return undefined;
    const { start, lines: texts } = record;
    record = undefined;
    const result = parseCsv(texts.join('\n'));
    if ('fields' in result) return toEntry(start, result.fields);
    if ('open' in result) return { line: start, invalid: why };
    const after = lineAt(result.at, texts) + 1;
    lines.unread([...texts.slice(after).map((text, i) => ({ number: start + after + i, text })), ...ending]);
    return { line: start, invalid: result.error };
  };
  const add = (line: Line): UploadEntry | undefined => {
    const size = (record?.size ?? 0) + ('text' in line ? Buffer.byteLength(line.text) : 0);
    if ('error' in line || size > maxBytes) {
      const why = 'error' in line ? line.error : `record is longer than ${maxBytes} bytes`;
      return settle(why, [line]) ?? { line: line.number, invalid: why };
    }
    if (!record && isBlank(line)) return undefined;
    record ??= { start: line.number, size: 0, quotes: 0, lines: [] };
    record.size = size;
    record.quotes += line.text.split('"').length - 1;
    record.lines.push(line.text);
    return record.quotes % 2 === 0 ? settle() : undefined;
  };
  for (let line = await lines.next(); line || record; line = await lines.next()) {
    const entry = line ? add(line) : settle();
    if (entry) yield entry;
  }
}
