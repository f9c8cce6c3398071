// `npm run import -- FILE.ndjson`: streams members from the old system (one JSON object a line) into the store
// DATA_DIR / MONGODB_URI name, in batches, with legacy password hashes stored as they come (no KDF work).
// Prints `imported N, updated N, rejected N`; bad rows go to stderr with their line number and field.
import { createReadStream } from 'node:fs';
import { loadConfig } from '../config/index.ts';
import { openStorage } from '../adapters/index.ts';
import { ImportRowError, MemberImporter, type ImportOutcome } from '../server/domain/accounts/member-import.ts';
import { parseImportRow, type ImportRow } from '../server/domain/accounts/member-import-row.ts';
import { deriveKey } from '../server/security/crypto.ts';

/** Rows per batch: memory holds one batch of parsed rows, whatever the file size. */
const BATCH_SIZE = 500;
/** A longer line is refused as a row (a huge field), without holding more than this of it in memory. */
const MAX_LINE_BYTES = 64 * 1024;

interface Line {
  number: number;
  /** undefined: the line was longer than MAX_LINE_BYTES (its bytes were dropped). */
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
      const full = tooLong || size + piece.length > MAX_LINE_BYTES;
      yield { number, bytes: full ? undefined : Buffer.concat([...parts, piece]), last: false };
      parts = [];
      size = 0;
      tooLong = false;
      start = newline + 1;
    }
    const rest = chunk.subarray(start);
    if (tooLong || size + rest.length > MAX_LINE_BYTES) {
      tooLong = true;
      parts = [];
    } else if (rest.length > 0) {
      parts.push(Buffer.from(rest));
      size += rest.length;
    }
  }
  if (tooLong || size > 0) yield { number: number + 1, bytes: tooLong ? undefined : Buffer.concat(parts), last: true };
}

class StopImport extends Error {}

async function main(): Promise<number> {
  const file = process.argv.slice(2).find((arg) => arg !== '--');
  if (!file) {
    process.stderr.write('usage: npm run import -- FILE.ndjson\n');
    return 2;
  }
  const config = loadConfig();
  const storage = await openStorage({ dataDir: config.dataDir, mongodbUri: config.mongodbUri, clientSecretKey: deriveKey(config.keyEncryptionKey, 'client-secrets') });
  const importer = new MemberImporter({ accounts: storage.accounts, loyalty: storage.loyalty, profiles: storage.profiles });
  const counts: Record<ImportOutcome | 'rejected', number> = { imported: 0, updated: 0, unchanged: 0, rejected: 0 };
  const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false });
  const reject = (line: number, field: string, message: string) => {
    counts.rejected += 1;
    process.stderr.write(`line ${line}: ${field}: ${message}\n`);
  };
  const summary = () => `imported ${counts.imported}, updated ${counts.updated}, rejected ${counts.rejected}`;

  let batch: { line: number; row: ImportRow }[] = [];
  const flush = async () => {
    for (const { line, row } of batch) {
      try {
        counts[await importer.importRow(row)] += 1;
      } catch (error) {
        if (!(error instanceof ImportRowError)) throw new StopImport(`line ${line}: the store refused the write (${(error as Error).message})`);
        reject(line, error.field, error.message);
      }
    }
    batch = [];
  };

  let code = 0;
  try {
    for await (const { number, bytes, last } of lines(file)) {
      if (bytes === undefined) {
        reject(number, '(line)', `longer than ${MAX_LINE_BYTES} bytes`);
        continue;
      }
      let text: string;
      try {
        text = decoder.decode(bytes);
      } catch {
        throw new StopImport(`line ${number}: not UTF-8; the file is not an NDJSON export`);
      }
      if (text.trim() === '') continue;
      let value: unknown;
      try {
        value = JSON.parse(text);
      } catch {
        if (last) throw new StopImport(`line ${number}: the file ends mid-line (truncated?)`);
        reject(number, '(line)', 'not valid JSON');
        continue;
      }
      const parsed = parseImportRow(value);
      if (!parsed.ok) {
        reject(number, parsed.field, parsed.message);
        continue;
      }
      batch.push({ line: number, row: parsed.row });
      if (batch.length >= BATCH_SIZE) await flush();
    }
    await flush();
  } catch (error) {
    if (!(error instanceof StopImport)) throw error;
    // Rows of the batch in hand are written first, so the report is exactly what the store holds.
    await flush().catch(() => undefined);
    process.stderr.write(`import stopped: ${error.message}\nrows before it were imported; fix the file and run it again (re-running is safe)\n`);
    code = 1;
  } finally {
    await storage.close();
  }
  if (counts.unchanged > 0) process.stderr.write(`unchanged ${counts.unchanged} (already imported)\n`);
  process.stdout.write(`${summary()}\n`);
  return code;
}

process.exitCode = await main().catch((error: unknown) => {
  process.stderr.write(`import failed: ${error instanceof Error ? error.message : String(error)}\n`);
  return 1;
});
