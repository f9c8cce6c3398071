// One import run over a file, shared by `npm run import` and the admin API's import jobs: records in batches, each
// batch written with its checkpoint (and its row errors) in one go where the store can, so a run killed at any
// point resumes after its last committed batch and ends in the store an uninterrupted run would leave.
import { ImportRowError, type MemberImporter } from './member-import.ts';
import { parseImportRow, type ImportRow } from './member-import-row.ts';
import { ImportStop, readImportFile, type ImportFormat } from './member-import-sources.ts';
import type { ImportCheckpoint, ImportCounts, MemberImportStore } from './member-import-store.ts';

export interface RowError {
  line: number;
  field: string;
  message: string;
}

export interface ImportRunOptions {
  /** The checkpoint's key: `file:<sha256>` for the CLI, `job:<id>` for a job. */
  key: string;
  file: string;
  format: ImportFormat;
  batchSize: number;
  /** A member number with a wrong check digit is a row error instead of a re-issued number. */
  rejectInvalidMemberNumbers: boolean;
  store: MemberImportStore;
  importer: MemberImporter;
  /** Inside the batch's transaction (SQLite): a job keeps its row errors with the batch that found them. */
  saveRowErrors?: (errors: RowError[]) => Promise<void>;
  /** After each committed batch, with the checkpoint just committed. */
  afterBatch?: (checkpoint: ImportCheckpoint, errors: RowError[]) => Promise<void>;
}

export interface ImportRunResult {
  counts: ImportCounts;
  /** The checkpoint this run resumed from, if any. */
  resumedFrom: ImportCheckpoint | undefined;
  /** Why the file could not be read to its end (rows before it are imported). */
  stopped: string | undefined;
}

export const EMPTY_COUNTS: ImportCounts = Object.freeze({ imported: 0, updated: 0, unchanged: 0, rejected: 0 });

type Pending = { line: number; row: ImportRow } | RowError;

export async function runMemberImport(options: ImportRunOptions): Promise<ImportRunResult> {
  const { key, store, importer } = options;
  const resumedFrom = await store.findCheckpoint(key);
  const counts: ImportCounts = { ...(resumedFrom?.counts ?? EMPTY_COUNTS) };
  let batches = resumedFrom?.batches ?? 0;
  const skipUpTo = resumedFrom?.line ?? 0;
  let batch: Pending[] = [];
  let lastLine = skipUpTo;

  const flush = async () => {
    if (batch.length === 0) return;
    const rows = batch;
    const upTo = lastLine;
    const outcome: ImportCounts = { ...EMPTY_COUNTS };
    const errors: RowError[] = [];
    let checkpoint: ImportCheckpoint | undefined;
    await store.inBatch(async () => {
      for (const item of rows) {
        if (!('row' in item)) {
          errors.push(item);
          continue;
        }
        try {
          const { row } = item;
          if (options.rejectInvalidMemberNumbers && row.memberNumberReissued) throw new ImportRowError('member_number', 'wrong check digit');
          outcome[await store.inRow(() => importer.importRow(row))] += 1;
        } catch (error) {
          if (!(error instanceof ImportRowError)) throw new ImportStop(`line ${item.line}: the store refused the write (${(error as Error).message})`);
          errors.push({ line: item.line, field: error.field, message: error.message });
        }
      }
      outcome.rejected = errors.length;
      if (errors.length > 0) await options.saveRowErrors?.(errors);
      checkpoint = {
        key,
        line: upTo,
        batches: batches + 1,
        counts: { imported: counts.imported + outcome.imported, updated: counts.updated + outcome.updated, unchanged: counts.unchanged + outcome.unchanged, rejected: counts.rejected + outcome.rejected },
        updatedAt: new Date(),
      };
      await store.saveCheckpoint(checkpoint);
    });
    // Committed: only now do the counts say so.
    batches += 1;
    for (const name of ['imported', 'updated', 'unchanged', 'rejected'] as const) counts[name] += outcome[name];
    batch = [];
    await options.afterBatch?.(checkpoint!, errors);
  };

  let stopped: string | undefined;
  try {
    for await (const item of readImportFile(options.file, options.format)) {
      if (item.line <= skipUpTo) continue;
      lastLine = item.line;
      if (item.kind === 'reject') {
        batch.push({ line: item.line, field: item.field, message: item.message });
      } else {
        const parsed = parseImportRow(item.value);
        batch.push(parsed.ok ? { line: item.line, row: parsed.row } : { line: item.line, field: parsed.field, message: parsed.message });
      }
      if (batch.length >= options.batchSize) await flush();
    }
    await flush();
    await store.deleteCheckpoint(key);
  } catch (error) {
    if (!(error instanceof ImportStop)) throw error;
    // Rows of the batch in hand are written first, so the report is exactly what the store holds.
    await flush().catch(() => undefined);
    stopped = error.message;
  }
  return { counts, resumedFrom, stopped };
}
