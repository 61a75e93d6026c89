/**
 * Uploaded files (JSON Lines, or CSV with the header `id,text`) as a stream of candidate records
 * for `ingest`. Memory stays bounded whatever the file: it is read one line at a time, and a line
 * or CSV record longer than the limit is reported as invalid instead of being accumulated. Text
 * must be UTF-8, as for POST /v1/records: a line that is not is reported, never stored mangled.
 */
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
  } catch (err) {
    return { line: line.number, invalid: `not valid JSON: ${(err as Error).message}` };
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

type CsvResult = { fields: string[] } | { error: string };

/** RFC 4180 fields, fed one physical line at a time because a quoted field may span lines. */
class CsvRecordParser {
  private fields: string[] = [];
  private field = '';
  private quoted = false;
  private closedQuote = false;
  private error: string | undefined;

  /** True while a quoted field is open, so the record continues on the next line. */
  get open(): boolean {
    return this.quoted;
  }

  /** The record once `text` completes it; undefined while a quoted field is still open. */
  feed(text: string): CsvResult | undefined {
    for (let i = 0; i < text.length && this.error === undefined; i++) {
      const char = text.charAt(i);
      if (!this.quoted) this.unquoted(char);
      else if (char !== '"') this.field += char;
      else if (text.charAt(i + 1) === '"') {
        this.field += '"';
        i += 1;
      } else {
        this.quoted = false;
        this.closedQuote = true;
      }
    }
    if (this.quoted && this.error === undefined) {
      this.field += '\n';
      return undefined;
    }
    const result = this.error === undefined ? { fields: [...this.fields, this.field] } : { error: this.error };
    this.reset();
    return result;
  }

  reset(): void {
    this.fields = [];
    this.field = '';
    this.quoted = false;
    this.closedQuote = false;
    this.error = undefined;
  }

  private unquoted(char: string): void {
    if (char === ',') {
      this.fields.push(this.field);
      this.field = '';
      this.closedQuote = false;
    } else if (this.closedQuote) this.error = 'text after the closing quote of a field';
    else if (char === '"' && this.field === '') this.quoted = true;
    else if (char === '"') this.error = 'a quote inside an unquoted field (quote the whole field and double the quote)';
    else this.field += char;
  }
}

type CsvRow = (line: number, fields: string[]) => UploadEntry;

/** The header names the columns; only `id` and `text`, in either order, make a record body. */
function csvHeader(line: Line): CsvRow {
  const parsed = 'text' in line ? new CsvRecordParser().feed(line.text) : undefined;
  const names = parsed && 'fields' in parsed ? parsed.fields.map((f) => f.trim().toLowerCase()) : [];
  const idAt = names.indexOf('id');
  const textAt = names.indexOf('text');
  if (names.length !== 2 || idAt === -1 || textAt === -1) {
    throw new UploadFormatError(`a CSV upload starts with the header id,text (line ${line.number} is ${'text' in line ? JSON.stringify(line.text.slice(0, 80)) : line.error})`);
  }
  return (line, fields) => {
    const [id, text] = [fields[idAt], fields[textAt]];
    if (fields.length !== 2 || id === undefined || text === undefined) {
      return { line, invalid: `expected 2 fields (id,text), found ${fields.length}`, ...(id ? { id } : {}) };
    }
    return { line, candidate: { id, input: { text } } };
  };
}

async function* csvEntries(header: Line, lines: AsyncIterable<Line>, maxBytes: number): AsyncGenerator<UploadEntry> {
  const toEntry = csvHeader(header);
  const parser = new CsvRecordParser();
  let start = 0;
  let size = 0;
  for await (const line of lines) {
    if (!parser.open) {
      if (isBlank(line)) continue;
      [start, size] = [line.number, 0];
    }
    size += 'text' in line ? Buffer.byteLength(line.text) : 0;
    if ('error' in line || size > maxBytes) {
      parser.reset();
      yield { line: start, invalid: 'error' in line ? line.error : `record is longer than ${maxBytes} bytes` };
      continue;
    }
    const result = parser.feed(line.text);
    if (result) yield 'error' in result ? { line: start, invalid: result.error } : toEntry(start, result.fields);
  }
  if (parser.open) yield { line: start, invalid: 'a quoted field is never closed' };
}
