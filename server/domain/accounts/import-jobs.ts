// Admin import jobs: an uploaded NDJSON or CSV file is kept in DATA_DIR/imports and imported in the background by
// the same run as `npm run import` (checkpoint `job:<id>`, row errors stored with their batch). A job still running
// when its process died is picked up again at the next boot and resumes after its last committed batch.
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { access, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Logger } from 'pino';
import { DomainError } from '../errors.ts';
import { testBatchSize, testPauseAfterBatch } from './import-test-seam.ts';
import type { MemberImporter } from './member-import.ts';
import { EMPTY_COUNTS, runMemberImport } from './member-import-run.ts';
import type { ImportFormat } from './member-import-sources.ts';
import type { ImportJob, MemberImportStore } from './member-import-store.ts';

/**
 * Rows per batch for a job. On SQLite a batch is one transaction that runs without yielding to I/O, so this is
 * also how long the event loop is held at a time; 200 rows keep that short for the requests served meanwhile.
 */
const JOB_BATCH_SIZE = 200;

export interface ImportJobsDeps {
  store: MemberImportStore;
  importer: MemberImporter;
  /** DATA_DIR/imports: uploads wait here until their job is done. */
  directory: string;
  maxUploadBytes: number;
  logger: Logger;
}

class UploadLimit extends Transform {
  size = 0;
  private readonly max: number;

  constructor(max: number) {
    super();
    this.max = max;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.size += chunk.length;
    if (this.size > this.max) callback(new DomainError('payload_too_large', `The upload is larger than ${this.max} bytes`));
    else callback(null, chunk);
  }
}

export class ImportJobs {
  private readonly deps: ImportJobsDeps;
  private readonly running = new Map<string, Promise<void>>();
  private stopping = false;

  constructor(deps: ImportJobsDeps) {
    this.deps = deps;
  }

  private fileOf(id: string, format: ImportFormat): string {
    return join(this.deps.directory, `${id}.${format}`);
  }

  /** Streams the upload to a file (refused past maxUploadBytes), records the job and starts it. */
  async create(body: Readable, format: ImportFormat): Promise<ImportJob> {
    await mkdir(this.deps.directory, { recursive: true, mode: 0o700 });
    const id = randomUUID();
    const file = this.fileOf(id, format);
    const limit = new UploadLimit(this.deps.maxUploadBytes);
    try {
      await pipeline(body, limit, createWriteStream(file, { mode: 0o600 }));
    } catch (error) {
      await rm(file, { force: true });
      throw error;
    }
    const now = new Date();
    const job: ImportJob = { id, state: 'running', format, size: limit.size, counts: { ...EMPTY_COUNTS }, line: 0, error: null, createdAt: now, updatedAt: now };
    await this.deps.store.createJob(job);
    this.start(job);
    return job;
  }

  find(id: string): Promise<ImportJob | undefined> {
    return this.deps.store.findJob(id);
  }

  listRowErrors(id: string, afterLine: number, limit: number) {
    return this.deps.store.listRowErrors(id, afterLine, limit);
  }

  /** At boot: every job a previous process left running goes on from its checkpoint. */
  async resumeUnfinished(): Promise<number> {
    // Only jobs whose upload is on this host's DATA_DIR: another instance's job goes on there (see the README).
    const jobs = [];
    for (const job of await this.deps.store.listRunningJobs()) {
      if (await access(this.fileOf(job.id, job.format)).then(() => true, () => false)) jobs.push(job);
    }
    for (const job of jobs) {
      this.deps.logger.info({ jobId: job.id, line: job.line }, 'resuming import job');
      this.start(job);
    }
    return jobs.length;
  }

  /** Shutdown: no new batch starts; the one in progress finishes (its checkpoint says where to go on). */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.allSettled([...this.running.values()]);
  }

  private start(job: ImportJob): void {
    if (this.running.has(job.id)) return;
    const run = this.run(job).catch((error: unknown) => {
      this.deps.logger.error({ err: error, jobId: job.id }, 'import job failed');
    }).finally(() => this.running.delete(job.id));
    this.running.set(job.id, run);
  }

  private async run(job: ImportJob): Promise<void> {
    const { store, importer } = this.deps;
    const pauseAfter = testPauseAfterBatch();
    const file = this.fileOf(job.id, job.format);
    const result = await runMemberImport({
      key: `job:${job.id}`,
      file,
      format: job.format,
      batchSize: testBatchSize() ?? JOB_BATCH_SIZE,
      rejectInvalidMemberNumbers: false,
      store,
      importer,
      saveRowErrors: (errors) => store.addRowErrors(job.id, errors),
      afterBatch: async (checkpoint) => {
        await store.updateJob(job.id, { state: 'running', counts: checkpoint.counts, line: checkpoint.line, error: null, updatedAt: new Date() });
        if (pauseAfter === checkpoint.batches) {
          this.deps.logger.warn({ jobId: job.id, batches: checkpoint.batches }, 'import job paused (IMPORT_TEST_PAUSE_AFTER_BATCH)');
          await new Promise<never>(() => undefined);
        }
        // Shutting down: leave the job running in the store, to be resumed by the next boot.
        if (this.stopping) throw new JobInterrupted();
      },
    }).catch((error: unknown) => {
      if (error instanceof JobInterrupted) return undefined;
      throw error;
    });
    if (!result) return;
    const final = await store.findJob(job.id);
    await store.updateJob(job.id, {
      state: result.stopped ? 'failed' : 'done',
      counts: result.counts,
      line: final?.line ?? job.line,
      error: result.stopped ?? null,
      updatedAt: new Date(),
    });
    await rm(file, { force: true });
  }
}

class JobInterrupted extends Error {}
