// Admin API: asynchronous member imports. POST /admin/imports takes an NDJSON or CSV body (streamed to a file, bounded
// by IMPORT_MAX_UPLOAD_BYTES) and answers 202 with the job; GET /admin/imports/{id} its state, counts and progress;
// GET /admin/imports/{id}/report its row errors (line, field, message), a page at a time.
import type { RouterContext } from '@koa/router';
import { z } from 'zod';
import type { ImportJobs } from '../domain/accounts/import-jobs.ts';
import type { ImportFormat } from '../domain/accounts/member-import-sources.ts';
import type { ImportJob } from '../domain/accounts/member-import-store.ts';
import { DomainError } from '../domain/errors.ts';

export const MAX_REPORT_PAGE = 1000;

const reportQuery = z.object({
  after_line: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(MAX_REPORT_PAGE).default(100),
}).strict();

function formatOfRequest(ctx: RouterContext): ImportFormat {
  const query = ctx.query.format;
  if (query === 'csv' || query === 'ndjson') return query;
  if (query !== undefined) throw new DomainError('invalid_input', 'format must be ndjson or csv', { expose: true });
  const type = (ctx.get('content-type').split(';')[0] ?? '').trim().toLowerCase();
  if (type === 'text/csv') return 'csv';
  if (type === 'application/x-ndjson' || type === 'application/jsonl' || type === 'application/x-jsonlines') return 'ndjson';
  throw new DomainError('unsupported_media_type', 'Send text/csv or application/x-ndjson (or ?format=csv|ndjson)', { expose: true });
}

function present(job: ImportJob) {
  return {
    id: job.id,
    state: job.state,
    format: job.format,
    size: job.size,
    counts: job.counts,
    progress: { line: job.line },
    error: job.error,
    created_at: job.createdAt.toISOString(),
    updated_at: job.updatedAt.toISOString(),
    report: `/admin/imports/${job.id}/report`,
  };
}

export function importJobHandlers(jobs: ImportJobs) {
  async function load(ctx: RouterContext): Promise<ImportJob> {
    const id = String(ctx.params.id);
    const job = z.uuid().safeParse(id).success ? await jobs.find(id) : undefined;
    if (!job) throw new DomainError('not_found', 'No such import job', { expose: true });
    return job;
  }

  return {
    async create(ctx: RouterContext) {
      const format = formatOfRequest(ctx);
      const job = await jobs.create(ctx.req, format);
      ctx.status = 202;
      ctx.set('Location', `/admin/imports/${job.id}`);
      ctx.body = present(job);
    },
    async read(ctx: RouterContext) {
      ctx.body = present(await load(ctx));
    },
    async report(ctx: RouterContext) {
      const job = await load(ctx);
      const query = reportQuery.safeParse(ctx.query);
      if (!query.success) throw new DomainError('invalid_input', 'after_line and limit must be whole numbers (limit 1-1000)', { expose: true });
      const errors = await jobs.listRowErrors(job.id, query.data.after_line, query.data.limit);
      const last = errors.at(-1);
      ctx.body = { errors, next_after_line: errors.length === query.data.limit && last ? last.line : null };
    },
  };
}
