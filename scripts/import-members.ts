// `npm run import -- FILE.ndjson|FILE.csv`: streams members from the old system into the store DATA_DIR /
// MONGODB_URI name, in batches, with legacy password hashes stored as they come (no KDF work). Each committed batch
// records a checkpoint keyed by the file's hash, so a run killed mid-file resumes after its last committed batch.
// Prints `imported N, updated N, rejected N`; bad rows go to stderr with their line number and field.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/index.ts';
import { openStorage } from '../adapters/index.ts';
import { ImportRowError, MemberImporter } from '../server/domain/accounts/member-import.ts';
import { parseImportRow, type ImportRow } from '../server/domain/accounts/member-import-row.ts';
import { formatOf, ImportStop, readImportFile } from '../server/domain/accounts/member-import-sources.ts';
import type { ImportCheckpoint, ImportCounts } from '../server/domain/accounts/member-import-store.ts';
import { deriveKey } from '../server/security/crypto.ts';

/** Rows per batch: memory holds one batch of parsed rows, whatever the file size; one transaction each on SQLite. */
const DEFAULT_BATCH_SIZE = 1000;
const MAX_BATCH_SIZE = 10_000;

const USAGE = 'usage: npm run import -- [--format ndjson|csv] [--reject-invalid-member-numbers] [--restart] [--batch-size N] FILE\n';

async function fileKey(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) hash.update(chunk);
  return `file:${hash.digest('hex')}`;
}

/**
 * Test seam (never in production): after committing batch N the run says so on stderr and waits, so a test can
 * kill -9 it at a known point instead of guessing with timers.
 */
function pauseAfterBatch(): number | undefined {
  const value = process.env.IMPORT_TEST_PAUSE_AFTER_BATCH;
  if (value === undefined || process.env.NODE_ENV === 'production') return undefined;
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      allowPositionals: true,
      options: { format: { type: 'string' }, 'reject-invalid-member-numbers': { type: 'boolean' }, restart: { type: 'boolean' }, 'batch-size': { type: 'string' } },
    });
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const file = args.positionals.find((arg) => arg !== '--');
  const format = file ? formatOf(file, args.values.format) : undefined;
  if (!file || !format) {
    process.stderr.write(file ? `cannot tell the format of ${file}: name it .ndjson or .csv, or pass --format\n${USAGE}` : USAGE);
    return 2;
  }
  const batchSize = args.values['batch-size'] === undefined ? DEFAULT_BATCH_SIZE : Number(args.values['batch-size']);
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > MAX_BATCH_SIZE) {
    process.stderr.write(`--batch-size must be an integer from 1 to ${MAX_BATCH_SIZE}\n${USAGE}`);
    return 2;
  }
  const strictNumbers = args.values['reject-invalid-member-numbers'] === true;
  const pauseAfter = pauseAfterBatch();

  const config = loadConfig();
  const key = await fileKey(file);
  const storage = await openStorage({ dataDir: config.dataDir, mongodbUri: config.mongodbUri, clientSecretKey: deriveKey(config.keyEncryptionKey, 'client-secrets') });
  const { memberImports } = storage;
  const importer = new MemberImporter({ accounts: storage.accounts, loyalty: storage.loyalty, profiles: storage.profiles, memberImports });
  if (args.values.restart) await memberImports.deleteCheckpoint(key);
  const resumed = await memberImports.findCheckpoint(key);
  const counts: ImportCounts = resumed ? { ...resumed.counts } : { imported: 0, updated: 0, unchanged: 0, rejected: 0 };
  let batches = resumed?.batches ?? 0;
  const skipUpTo = resumed?.line ?? 0;
  if (resumed) process.stderr.write(`resuming after line ${resumed.line} (${resumed.batches} batches committed ${resumed.updatedAt.toISOString()}); rows before it were reported by the earlier run\n`);

  // Rejections wait with their batch: a resumed run neither repeats nor loses them, and counts match the store.
  type Pending = { line: number; row: ImportRow } | { line: number; field: string; message: string };
  let batch: Pending[] = [];
  let lastLine = skipUpTo;
  const summary = () => `imported ${counts.imported}, updated ${counts.updated}, rejected ${counts.rejected}`;

  const flush = async () => {
    if (batch.length === 0) return;
    const rows = batch;
    const upTo = lastLine;
    const outcome: ImportCounts = { imported: 0, updated: 0, unchanged: 0, rejected: 0 };
    const report: string[] = [];
    await memberImports.inBatch(async () => {
      for (const item of rows) {
        if (!('row' in item)) {
          outcome.rejected += 1;
          report.push(`line ${item.line}: ${item.field}: ${item.message}\n`);
          continue;
        }
        try {
          const { row } = item;
          if (strictNumbers && row.memberNumberReissued) throw new ImportRowError('member_number', 'wrong check digit');
          outcome[await memberImports.inRow(() => importer.importRow(row))] += 1;
        } catch (error) {
          if (!(error instanceof ImportRowError)) throw new ImportStop(`line ${item.line}: the store refused the write (${(error as Error).message})`);
          outcome.rejected += 1;
          report.push(`line ${item.line}: ${error.field}: ${error.message}\n`);
        }
      }
      const next: ImportCheckpoint = {
        key,
        line: upTo,
        batches: batches + 1,
        counts: { imported: counts.imported + outcome.imported, updated: counts.updated + outcome.updated, unchanged: counts.unchanged + outcome.unchanged, rejected: counts.rejected + outcome.rejected },
        updatedAt: new Date(),
      };
      await memberImports.saveCheckpoint(next);
    });
    // Committed: only now do the counts and the report say so.
    batches += 1;
    for (const name of ['imported', 'updated', 'unchanged', 'rejected'] as const) counts[name] += outcome[name];
    for (const text of report) process.stderr.write(text);
    batch = [];
    if (pauseAfter === batches) {
      process.stderr.write(`paused after batch ${batches} (IMPORT_TEST_PAUSE_AFTER_BATCH)\n`);
      await new Promise<never>(() => setInterval(() => undefined, 60_000));
    }
  };

  let code = 0;
  try {
    for await (const item of readImportFile(file, format)) {
      if (item.line <= skipUpTo) continue;
      lastLine = item.line;
      if (item.kind === 'reject') {
        batch.push(item);
      } else {
        const parsed = parseImportRow(item.value);
        batch.push(parsed.ok ? { line: item.line, row: parsed.row } : { line: item.line, field: parsed.field, message: parsed.message });
      }
      if (batch.length >= batchSize) await flush();
    }
    await flush();
    await memberImports.deleteCheckpoint(key);
  } catch (error) {
    if (!(error instanceof ImportStop)) throw error;
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
