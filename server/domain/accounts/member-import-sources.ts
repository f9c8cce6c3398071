// Reads an import file as a stream of records with their line numbers: NDJSON (one object a line) or CSV (a header
// row naming the fields, then one member a row, parsed by csv-parse). Memory holds one line or row at a time; a
// problem with one record is a rejection for the report, a problem with the file itself (not UTF-8, a wrong header,
// cut short) stops the import.
import { createReadStream } from 'node:fs';
import { Transform, type TransformCallback } from 'node:stream';
import { parse, type CsvError } from 'csv-parse';
import { checkCsvHeader, fromCsvRecord } from './member-import-row.ts';

export type ImportFormat = 'ndjson' | 'csv';

export type SourceItem =
  | { kind: 'record'; line: number; value: unknown }
  | { kind: 'reject'; line: number; field: string; message: string };

/** The file cannot be read on: the import stops here and reports what it wrote before. */
export class ImportStop extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ImportStop';
  }
}

/** A longer line or row is refused as a row (a huge field), without holding much more than this of it. */
export const MAX_RECORD_BYTES = 64 * 1024;

export function formatOf(path: string, flag: string | undefined): ImportFormat | undefined {
  if (flag === 'ndjson' || flag === 'csv') return flag;
  if (flag !== undefined) return undefined;
  if (/\.csv$/i.test(path)) return 'csv';
  if (/\.(nd)?jsonl?$/i.test(path)) return 'ndjson';
  return undefined;
}

export function readImportFile(path: string, format: ImportFormat): AsyncGenerator<SourceItem> {
  return format === 'csv' ? csvRecords(path) : ndjsonRecords(path);
}

/**
 * The member numbers the file's records carry, as written, read ahead of the import so that no number is issued to
 * one row that a later row keeps. Only NDJSON lines that can name the field (its name, or a JSON escape) are decoded;
 * problems with the file are the import's to report, so they end the scan quietly.
 */
export async function* keptMemberNumbers(path: string, format: ImportFormat): AsyncGenerator<string> {
  const pick = (value: unknown) => (typeof value === 'object' && value !== null && 'member_number' in value && typeof value.member_number === 'string' ? value.member_number : undefined);
  try {
    if (format === 'csv') {
      for await (const item of csvRecords(path)) {
        const number = item.kind === 'record' ? pick(item.value) : undefined;
        if (number !== undefined) yield number;
      }
      return;
    }
    const field = Buffer.from('member_number');
    for await (const { bytes } of lines(path)) {
      if (bytes === undefined || (bytes.indexOf(field) === -1 && bytes.indexOf(0x5c) === -1)) continue;
      let number: string | undefined;
      try {
        number = pick(JSON.parse(bytes.toString('utf8')));
      } catch {
        continue;
      }
      if (number !== undefined) yield number;
    }
  } catch (error) {
    if (!(error instanceof ImportStop)) throw error;
  }
}

interface Line {
  number: number;
  /** undefined: the line was longer than MAX_RECORD_BYTES (its bytes were dropped). */
  bytes: Buffer | undefined;
  /** The file ended without a newline after this line. */
  last: boolean;
}

/** Splits a byte stream on LF without decoding (UTF-8 is checked per line, so a bad byte names its line). */
async function* lines(path: string): AsyncGenerator<Line> {
  let parts: Buffer[] = [];
  let size = 0;
  let tooLong = false;
  let number = 0;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    let start = 0;
    for (let newline = chunk.indexOf(0x0a, start); newline !== -1; newline = chunk.indexOf(0x0a, start)) {
      const piece = chunk.subarray(start, newline);
      number += 1;
      const full = tooLong || size + piece.length > MAX_RECORD_BYTES;
      // A line inside one chunk (nearly all) is handed out as a view of it: copying it cost a Buffer per line.
      yield { number, bytes: full ? undefined : parts.length === 0 ? piece : Buffer.concat([...parts, piece]), last: false };
      parts = [];
      size = 0;
      tooLong = false;
      start = newline + 1;
    }
    const rest = chunk.subarray(start);
    if (tooLong || size + rest.length > MAX_RECORD_BYTES) {
      tooLong = true;
      parts = [];
    } else if (rest.length > 0) {
      parts.push(Buffer.from(rest));
      size += rest.length;
    }
  }
  if (tooLong || size > 0) yield { number: number + 1, bytes: tooLong ? undefined : Buffer.concat(parts), last: true };
}

async function* ndjsonRecords(path: string): AsyncGenerator<SourceItem> {
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  for await (const { number, bytes, last } of lines(path)) {
    if (bytes === undefined) {
      yield { kind: 'reject', line: number, field: '(line)', message: `longer than ${MAX_RECORD_BYTES} bytes` };
      continue;
    }
    let text: string;
    try {
      text = decoder.decode(bytes);
    } catch {
      throw new ImportStop(`line ${number}: not UTF-8; the file is not an NDJSON export`);
    }
    if (text.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      if (last) throw new ImportStop(`line ${number}: the file ends mid-line (truncated?)`);
      yield { kind: 'reject', line: number, field: '(line)', message: 'not valid JSON' };
      continue;
    }
    yield { kind: 'record', line: number, value };
  }
}

/**
 * Decodes UTF-8 strictly before csv-parse sees the text (csv-parse itself would replace a bad byte silently),
 * naming the line of the first bad byte.
 */
class StrictUtf8 extends Transform {
  private readonly decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  private newlines = 0;

  constructor() {
    super({ readableObjectMode: false, decodeStrings: true });
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    let text: string;
    try {
      text = this.decoder.decode(chunk, { stream: true });
    } catch {
      // The line of the first replacement character a lenient decode gives: where the bad byte is.
      const lenient = new TextDecoder('utf-8').decode(chunk);
      const upTo = lenient.slice(0, Math.max(0, lenient.indexOf('\uFFFD')));
      const line = this.newlines + 1 + (upTo.split('\n').length - 1);
      callback(new ImportStop(`line ${line}: not UTF-8; the file is not a UTF-8 CSV export`));
      return;
    }
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.newlines += 1;
    callback(null, text);
  }

  override _flush(callback: TransformCallback): void {
    try {
      callback(null, this.decoder.decode());
    } catch {
      callback(new ImportStop(`line ${this.newlines + 1}: the file ends inside a UTF-8 character (truncated?)`));
    }
  }
}

async function* csvRecords(path: string): AsyncGenerator<SourceItem> {
  // csv-parse reports a bad row through on_skip and goes on; they are queued here and yielded in line order.
  const skipped: SourceItem[] = [];
  let truncated: string | undefined;
  const parser = parse({
    bom: true,
    info: true,
    skip_empty_lines: true,
    max_record_size: MAX_RECORD_BYTES,
    skip_records_with_error: true,
    on_skip: (error: CsvError | undefined) => {
      if (!error) return;
      const line = typeof error.lines === 'number' ? error.lines : 0;
      if (error.code === 'CSV_QUOTE_NOT_CLOSED') truncated = `line ${line}: the file ends inside a quoted field (truncated?)`;
      else if (error.code === 'CSV_MAX_RECORD_SIZE') skipped.push({ kind: 'reject', line, field: '(row)', message: `longer than ${MAX_RECORD_BYTES} bytes` });
      else if (error.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH') skipped.push({ kind: 'reject', line, field: '(row)', message: 'not as many cells as the header has columns' });
      else skipped.push({ kind: 'reject', line, field: '(row)', message: `not valid CSV (${error.code})` });
    },
  });
  const source = createReadStream(path);
  const utf8 = new StrictUtf8();
  source.on('error', (error) => utf8.destroy(error));
  utf8.on('error', (error) => parser.destroy(error));
  source.pipe(utf8).pipe(parser);

  let columns: string[] | undefined;
  // csv-parse tells the line a record ends on; a record with a quoted newline starts on an earlier one, the line
  // after the previous record, which is what the report names.
  let previousEnd = 0;
  try {
    for await (const { record, info } of parser as AsyncIterable<{ record: string[]; info: { lines: number } }>) {
      // The parser reads ahead: rows it refused before this record come first, in line order.
      while (skipped.length > 0 && (skipped[0] as SourceItem).line < info.lines) {
        const item = skipped.shift() as SourceItem;
        previousEnd = Math.max(previousEnd, item.line);
        yield item;
      }
      const line = previousEnd + 1;
      previousEnd = info.lines;
      if (!columns) {
        columns = record.map((name) => name.trim());
        const problem = checkCsvHeader(columns);
        if (problem) throw new ImportStop(`line ${line}: wrong header: ${problem}; expected column names such as email,email_verified,password_hash`);
        continue;
      }
      const cells: Record<string, string> = {};
      columns.forEach((column, index) => {
        cells[column] = record[index] ?? '';
      });
      yield { kind: 'record', line, value: fromCsvRecord(cells) };
    }
  } finally {
    source.destroy();
  }
  while (skipped.length > 0) yield skipped.shift() as SourceItem;
  if (truncated) throw new ImportStop(truncated);
  if (!columns) throw new ImportStop('line 1: missing header: the file is empty; expected column names such as email,email_verified,password_hash');
}
