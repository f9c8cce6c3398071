// The /admin/analytics and /admin/events part of the admin OpenAPI document (issue 18): series from the rollups, and the NDJSON export.
import { MAX_RANGE_DAYS, METRIC_NAMES, METRICS } from '../domain/analytics/analytics-metrics.ts';
import { EVENT_TYPES } from '../domain/events/event-types.ts';

export interface AnalyticsOpenApiHelpers {
  responses(extra: Record<string, unknown>): unknown;
  json(schema: unknown): unknown;
}

const time = (name: string, description: string) => ({
  name, in: 'query', required: true, description,
  schema: { type: 'string', examples: ['2026-12-01', '2026-12-01T00:00:00Z'] },
});

export const analyticsSchemas = {
  AnalyticsSeries: {
    type: 'object',
    required: ['metric', 'interval', 'from', 'to', 'dimensions', 'series'],
    properties: {
      metric: { type: 'string', enum: METRIC_NAMES },
      interval: { type: 'string', enum: ['day', 'hour'] },
      from: { type: 'string', format: 'date-time', description: 'The range asked for, rounded down to the interval (UTC).' },
      to: { type: 'string', format: 'date-time', description: 'Rounded up to the interval (UTC); exclusive.' },
      dimensions: { type: 'array', items: { type: 'string' }, description: 'The dimension fields each point carries.' },
      series: {
        type: 'array',
        description: 'One point per bucket and combination of dimension values that has a count (buckets without one are left out), by time.',
        items: {
          type: 'object',
          required: ['t', 'value'],
          properties: { t: { type: 'string', format: 'date-time', description: 'Start of the UTC hour or day (month for active_members period=month).' }, value: { type: 'integer' } },
          additionalProperties: { type: 'string', description: 'A dimension value' },
        },
      },
    },
  },
};

export function analyticsPaths(h: AnalyticsOpenApiHelpers): Record<string, unknown> {
  const metrics = METRIC_NAMES.map((name) => `\`${name}\` (${METRICS[name].dimensions.join(', ')}): ${METRICS[name].description}`).join(' ');
  return {
    '/analytics': {
      get: {
        operationId: 'analyticsSeries',
        summary: 'Daily or hourly series of a metric, from counters kept up to date by the outbox consumer',
        description: 'Counters are updated incrementally from the domain events outbox (within seconds of a change; never by scanning members on '
          + `request) and kept ANALYTICS_RETENTION_DAYS (400 by default). Times are UTC. Metrics: ${metrics} `
          + `Ranges: at most ${MAX_RANGE_DAYS.hour} days with interval=hour and ${MAX_RANGE_DAYS.day} days with interval=day. `
          + 'Refused (400, naming the parameter): an unknown metric, a date that does not parse, to not later than from, a range too long, interval=hour for active_members, an unknown parameter.',
        parameters: [
          { name: 'metric', in: 'query', required: true, schema: { type: 'string', enum: METRIC_NAMES } },
          time('from', 'Start (inclusive): a UTC day or a date-time with offset.'),
          time('to', 'End (exclusive): a UTC day or a date-time with offset.'),
          { name: 'interval', in: 'query', schema: { type: 'string', enum: ['day', 'hour'], default: 'day' } },
        ],
        responses: h.responses({
          200: { description: 'The series', content: h.json({ $ref: '#/components/schemas/AnalyticsSeries' }) },
          400: { $ref: '#/components/responses/InvalidInput' },
        }),
      },
    },
    '/events': {
      get: {
        operationId: 'exportEvents',
        summary: 'NDJSON export of domain events by time range, for the program\'s warehouse or CDP',
        description: 'One event a line, `{"id","type","timestamp","sub","data"}`, ordered by time then id (ids are UUIDv7), streamed as it is read '
          + '(the server reads the next page only when the client has taken the last). This is the program\'s own export: `sub` is the member\'s '
          + 'public subject (no pairwise subjects are applied), as the program\'s own webhooks receive it. Events of erased members are not in it '
          + '(erasure forgets them), except their `member.deleted`. Refused (400): dates that do not parse, to not later than from, an unknown event type.',
        parameters: [
          time('from', 'Start (inclusive): a UTC day or a date-time with offset.'),
          time('to', 'End (exclusive): a UTC day or a date-time with offset.'),
          {
            name: 'types', in: 'query', style: 'form', explode: false, description: 'Only these event types (comma-separated or repeated).',
            schema: { type: 'array', items: { type: 'string', enum: [...EVENT_TYPES] } },
          },
        ],
        responses: h.responses({
          200: { description: 'The events, one JSON object a line', content: { 'application/x-ndjson': { schema: { type: 'string' } } } },
          400: { $ref: '#/components/responses/InvalidInput' },
        }),
      },
    },
  };
}
