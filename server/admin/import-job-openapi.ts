// The /admin/imports part of the admin OpenAPI document (issue 19): paths and schemas, with the shared helpers passed in.
import type { OpenApiHelpers } from './webhook-openapi.ts';

export const importJobSchemas = {
  ImportJob: {
    type: 'object',
    required: ['id', 'state', 'format', 'size', 'counts', 'progress', 'error', 'created_at', 'updated_at', 'report'],
    properties: {
      id: { type: 'string', format: 'uuid' },
      state: { type: 'string', enum: ['running', 'done', 'failed'], description: 'failed: the file stopped being readable (not UTF-8, wrong header, cut short); rows before that point are imported.' },
      format: { type: 'string', enum: ['ndjson', 'csv'] },
      size: { type: 'integer', description: 'Bytes uploaded.' },
      counts: {
        type: 'object',
        required: ['imported', 'updated', 'unchanged', 'rejected'],
        properties: { imported: { type: 'integer' }, updated: { type: 'integer' }, unchanged: { type: 'integer' }, rejected: { type: 'integer' } },
      },
      progress: { type: 'object', required: ['line'], properties: { line: { type: 'integer', description: 'Last line of the last committed batch.' } } },
      error: { type: ['string', 'null'] },
      created_at: { type: 'string', format: 'date-time' },
      updated_at: { type: 'string', format: 'date-time' },
      report: { type: 'string', description: 'Path of the row-error report.' },
    },
  },
  ImportReport: {
    type: 'object',
    required: ['errors', 'next_after_line'],
    properties: {
      errors: {
        type: 'array',
        items: { type: 'object', required: ['line', 'field', 'message'], properties: { line: { type: 'integer' }, field: { type: 'string' }, message: { type: 'string' } } },
        description: 'In line order.',
      },
      next_after_line: { type: ['integer', 'null'], description: 'Pass as `after_line` for the next page; null on the last page.' },
    },
  },
};

export function importJobPaths({ responses, withBody, notFound, json }: OpenApiHelpers): Record<string, unknown> {
  return {
      '/imports': {
        post: {
          operationId: 'startMemberImport',
          summary: 'Upload an NDJSON or CSV file of members (with their password hashes) and import it in the background',
          description: 'The same format as `npm run import`: one JSON object a line (`application/x-ndjson`), or a header row naming the fields '
            + '(`text/csv`); or say `?format=ndjson|csv`. The body is streamed to DATA_DIR/imports (at most IMPORT_MAX_UPLOAD_BYTES, else 413) and '
            + 'imported in batches, idempotently by email and member number; bad rows are reported by line and field, good rows imported. A job '
            + 'interrupted by a restart resumes at the next boot after its last committed batch.',
          parameters: [{ name: 'format', in: 'query', schema: { type: 'string', enum: ['ndjson', 'csv'] } }],
          requestBody: { required: true, content: { 'application/x-ndjson': { schema: { type: 'string' } }, 'text/csv': { schema: { type: 'string' } } } },
          responses: withBody({ 202: { description: 'The job, started', headers: { Location: { schema: { type: 'string' } } }, content: json({ $ref: '#/components/schemas/ImportJob' }) } }),
        },
      },
      '/imports/{id}': {
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' }, description: 'The job id' }],
        get: {
          operationId: 'readMemberImport',
          summary: 'An import job: state, counts, progress',
          responses: responses({ 200: { description: 'The job', content: json({ $ref: '#/components/schemas/ImportJob' }) }, 404: notFound }),
        },
      },
      '/imports/{id}/report': {
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' }, description: 'The job id' }],
        get: {
          operationId: 'readMemberImportReport',
          summary: 'The rows an import job rejected (line, field, message), a page at a time',
          parameters: [
            { name: 'after_line', in: 'query', schema: { type: 'integer', minimum: 0, default: 0 } },
            { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
          ],
          responses: responses({ 200: { description: 'A page of row errors', content: json({ $ref: '#/components/schemas/ImportReport' }) }, 400: { $ref: '#/components/responses/InvalidInput' }, 404: notFound }),
        },
      },
  };
}
