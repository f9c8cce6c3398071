// One import run over a file, shared by `npm run import` and the admin API's import jobs: records in batches, each
// batch written with its checkpoint (and its row errors) in one go where the store can, so a run killed at any
// point resumes after its last committed batch and ends in the store an uninterrupted run would leave.
import { statSync } from 'node:fs';
import { MemberNumberAllocator, NumberFilter } from '../loyalty/member-number-allocator.ts';
import { normaliseMemberNumber } from '../loyalty/member-number.ts';
import { ImportRowError, MemberImporter } from './member-import.ts';
import { parseImportRow, type ImportRow } from './member-import-row.ts';
import { ImportStop, keptMemberNumbers, readImportFile, type ImportFormat } from './member-import-sources.ts';
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

/** Bytes of the smallest useful record (an email, the flag and a hash): sizes the filter of kept numbers. */
const MIN_RECORD_BYTES = 48;

/**
 * An allocator that never issues a number a row of the file keeps: the file is read once ahead for them (a cheap
 * pass: only records that name a member number are decoded), so a number issued to row 10 cannot be the number row
 * 900,000 brings from the old program.
 */
async function allocatorFor(file: string, format: ImportFormat): Promise<MemberNumberAllocator> {
  const reserved = new NumberFilter(Math.ceil(statSync(file).size / MIN_RECORD_BYTES));
  for await (const value of keptMemberNumbers(file, format)) {
    const number = normaliseMemberNumber(value);
    if (number) reserved.add(number);
  }
  return new MemberNumberAllocator(reserved);
}

export async function runMemberImport(options: ImportRunOptions): Promise<ImportRunResult> {
  const { key, store, importer } = options;
  const resumedFrom = await store.findCheckpoint(key);
  const counts: ImportCounts = { ...(resumedFrom?.counts ?? EMPTY_COUNTS) };
  let batches = resumedFrom?.batches ?? 0;
  const skipUpTo = resumedFrom?.line ?? 0;
  let batch: Pending[] = [];
  let lastLine = skipUpTo;
  const numbers = await allocatorFor(options.file, options.format);

  const flush = async () => {
    if (batch.length === 0) return;
    const rows = batch;
    const upTo = lastLine;
    const outcome: ImportCounts = { ...EMPTY_COUNTS };
    const errors: RowError[] = [];
    let checkpoint: ImportCheckpoint | undefined;
    await store.inBatch(async () => {
      const found = new Map<number, RowError>();
      const done = new Map<number, 'imported' | 'updated' | 'unchanged'>();
      const rowItems: Array<{ line: number; row: ImportRow }> = [];
      for (const item of rows) {
        if (!('row' in item)) found.set(item.line, item);
        else if (options.rejectInvalidMemberNumbers && item.row.memberNumberReissued) found.set(item.line, { line: item.line, field: 'member_number', message: 'wrong check digit' });
        else rowItems.push(item);
      }
      // The bulk path first: members new to the store, written in one go. Rows it cannot take (their member exists,
      // or another row of the batch names the same email, number or phone) then go one by one in file order.
      const candidates = MemberImporter.bulkCandidates(rowItems.map((item) => item.row));
      const bulk = rowItems.filter((_, i) => candidates[i]);
      let results;
      try {
        results = await importer.importNew(bulk.map((item) => item.row), numbers, key);
      } catch (error) {
        throw new ImportStop(`lines ${bulk[0]?.line}-${bulk.at(-1)?.line}: the store refused the write (${(error as Error).message})`);
      }
      bulk.forEach((item, i) => {
        const result = results[i];
        if (result === 'imported') done.set(item.line, 'imported');
        else if (result !== 'existing' && result !== undefined) found.set(item.line, { line: item.line, ...result });
      });
      const oneByOne = async (item: { line: number; row: ImportRow }) => {
        try {
          done.set(item.line, await store.inRow(() => importer.importRow(item.row, numbers)));
        } catch (error) {
          if (!(error instanceof ImportRowError)) throw new ImportStop(`line ${item.line}: the store refused the write (${(error as Error).message})`);
          found.set(item.line, { line: item.line, field: error.field, message: error.message });
        }
      };
      // Candidates the store sent back share no key with any other row, so they may overlap (where the store allows);
      // the other rows then go strictly in file order.
      const independent = bulk.filter((item) => !done.has(item.line) && !found.has(item.line));
      for (let i = 0; i < independent.length; i += store.rowConcurrency) {
        await Promise.all(independent.slice(i, i + store.rowConcurrency).map(oneByOne));
      }
      for (const item of rowItems) {
        if (!done.has(item.line) && !found.has(item.line)) await oneByOne(item);
      }
      for (const kind of done.values()) outcome[kind] += 1;
      errors.push(...[...found.values()].sort((a, b) => a.line - b.line));
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
    numbers.forgetIssued();
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
