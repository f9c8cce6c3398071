// `npm run import -- FILE.ndjson|FILE.csv`: streams members from the old system into the store DATA_DIR /
// MONGODB_URI name, in batches, with legacy password hashes stored as they come (no KDF work). Each committed batch
// records a checkpoint keyed by the file's hash, so a run killed mid-file resumes after its last committed batch.
// Prints `imported N, updated N, rejected N`; bad rows go to stderr with their line number and field.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/index.ts';
import { openStorage } from '../adapters/index.ts';
import { MemberImporter } from '../server/domain/accounts/member-import.ts';
import { runMemberImport } from '../server/domain/accounts/member-import-run.ts';
import { formatOf } from '../server/domain/accounts/member-import-sources.ts';
import { testPauseAfterBatch } from '../server/domain/accounts/import-test-seam.ts';
import { deriveKey } from '../server/security/crypto.ts';

/** Rows per batch: memory holds one batch of parsed rows, whatever the file size; one transaction each on SQLite. */
const DEFAULT_BATCH_SIZE = 5000;
const MAX_BATCH_SIZE = 10_000;

const USAGE = 'usage: npm run import -- [--format ndjson|csv] [--reject-invalid-member-numbers] [--restart] [--batch-size N] FILE\n';

async function fileKey(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) hash.update(chunk);
  return `file:${hash.digest('hex')}`;
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
  const pauseAfter = testPauseAfterBatch();

  const config = loadConfig();
  const key = await fileKey(file);
  const storage = await openStorage({ dataDir: config.dataDir, mongodbUri: config.mongodbUri, clientSecretKey: deriveKey(config.keyEncryptionKey, 'client-secrets') });
  const { memberImports } = storage;
  let code = 0;
  let summary: string;
  try {
    const importer = new MemberImporter({ accounts: storage.accounts, loyalty: storage.loyalty, profiles: storage.profiles, memberImports });
    if (args.values.restart) await memberImports.deleteCheckpoint(key);
    const resumed = await memberImports.findCheckpoint(key);
    if (resumed) process.stderr.write(`resuming after line ${resumed.line} (${resumed.batches} batches committed ${resumed.updatedAt.toISOString()}); rows before it were reported by the earlier run\n`);
    const result = await runMemberImport({
      key,
      file,
      format,
      batchSize,
      rejectInvalidMemberNumbers: args.values['reject-invalid-member-numbers'] === true,
      store: memberImports,
      importer,
      afterBatch: async (checkpoint, errors) => {
        for (const { line, field, message } of errors) process.stderr.write(`line ${line}: ${field}: ${message}\n`);
        if (pauseAfter === checkpoint.batches) {
          process.stderr.write(`paused after batch ${checkpoint.batches} (IMPORT_TEST_PAUSE_AFTER_BATCH)\n`);
          await new Promise<never>(() => setInterval(() => undefined, 60_000));
        }
      },
    });
    const { counts } = result;
    if (result.stopped) {
      process.stderr.write(`import stopped: ${result.stopped}\nrows before it were imported; fix the file and run it again (re-running is safe)\n`);
      code = 1;
    }
    if (counts.unchanged > 0) process.stderr.write(`unchanged ${counts.unchanged} (already imported)\n`);
    summary = `imported ${counts.imported}, updated ${counts.updated}, rejected ${counts.rejected}`;
  } finally {
    await storage.close();
  }
  process.stdout.write(`${summary}\n`);
  return code;
}

process.exitCode = await main().catch((error: unknown) => {
  process.stderr.write(`import failed: ${error instanceof Error ? error.message : String(error)}\n`);
  return 1;
});
