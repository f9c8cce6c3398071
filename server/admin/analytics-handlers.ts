// Admin API: analytics series from the rollup counters (GET /admin/analytics) and the NDJSON export of the
// events outbox for the program's warehouse (GET /admin/events), streamed page by page with backpressure.
import { Readable } from 'node:stream';
import type { Context } from 'koa';
import { z } from 'zod';
import { isMetric, MAX_RANGE_DAYS, METRIC_NAMES, METRICS, toSeries, type Interval } from '../domain/analytics/analytics-metrics.ts';
import type { AnalyticsRepository } from '../domain/analytics/analytics.repository.ts';
import { DAY_MS, dayOf, hourOf, HOUR_MS } from '../domain/analytics/rollup-rules.ts';
import type { DomainEvent } from '../domain/events/domain-event.ts';
import { EVENT_TYPES, isEventType, type EventType } from '../domain/events/event-types.ts';
import { DomainError } from '../domain/errors.ts';
import { fieldErrors } from './client-input.ts';

const TIME_MESSAGE = 'must be an ISO 8601 date (2026-05-01, a UTC day) or date-time with a time zone offset (2026-05-01T00:00:00Z)';
/** Events per store read of the export: the stream asks for the next page only when the client took the last. */
const EXPORT_PAGE = 500;

/** A repeated parameter (?from=a&from=b) arrives as an array: refused rather than one silently chosen. */
const once = (message: string) => z.string({ error: message });

/** Whether YYYY-MM-DD names a real calendar day (Date would roll 2026-02-30 over into March). */
function realDay(text: string): boolean {
  const [y, m, d] = text.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1, d)).toISOString().slice(0, 10) === text;
}

// A failed parse is z.NEVER (fatal): the range checks below only ever see two dates.
const instant = once(TIME_MESSAGE).transform((value, ctx) => {
  const dateOnly = /^\d{4}-\d{2}-\d{2}$/.test(value);
  const parsed = dateOnly ? new Date(`${value}T00:00:00Z`) : new Date(value);
  if ((!dateOnly && !z.iso.datetime({ offset: true }).safeParse(value).success) || Number.isNaN(parsed.getTime()) || !realDay(value.slice(0, 10))) {
    ctx.addIssue({ code: 'custom', message: TIME_MESSAGE });
    return z.NEVER;
  }
  return parsed;
});

const analyticsQuery = z
  .object({
    metric: once(`give one metric: ${METRIC_NAMES.join(', ')}`)
      .refine(isMetric, { error: (issue) => `unknown metric "${String(issue.input).slice(0, 64)}"; expected one of ${METRIC_NAMES.join(', ')}` }),
    from: instant,
    to: instant,
    interval: once('must be day or hour').pipe(z.enum(['day', 'hour'], { error: 'must be day or hour' })).default('day'),
  })
  .strict()
  .superRefine((query, ctx) => {
    // Refinements run even after a field failed: only two parsed dates are compared.
    if (!(query.from instanceof Date) || !(query.to instanceof Date)) return;
    if (query.from >= query.to) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: 'must be later than from' });
      return;
    }
    const max = MAX_RANGE_DAYS[query.interval];
    if (query.to.getTime() - query.from.getTime() > max * DAY_MS) {
      ctx.addIssue({ code: 'custom', path: ['to'], message: `the range may span at most ${max} days with interval=${query.interval}` });
    }
    if (isMetric(query.metric) && query.interval === 'hour' && !METRICS[query.metric].hourly) {
      ctx.addIssue({ code: 'custom', path: ['interval'], message: `${query.metric} is counted per day and month only: use interval=day` });
    }
  });

const eventTypes = z
  .union([z.string(), z.array(z.string())])
  .transform((value, ctx): EventType[] => {
    // Repeated (?types=a&types=b), comma-separated (?types=a,b), or both.
    const pieces = (Array.isArray(value) ? value : [value]).flatMap((item) => item.split(',')).filter((piece) => piece !== '');
    const unknown = pieces.find((piece) => !isEventType(piece));
    if (unknown !== undefined) {
      ctx.addIssue({ code: 'custom', message: `unknown event type "${unknown.slice(0, 64)}"; expected one of ${EVENT_TYPES.join(', ')}` });
      return [];
    }
    return [...new Set(pieces as EventType[])];
  });

const exportQuery = z
  .object({ from: instant, to: instant, types: eventTypes.optional() })
  .strict()
  .refine((query) => !(query.from instanceof Date) || !(query.to instanceof Date) || query.from < query.to, { path: ['to'], message: 'must be later than from' });

/** One line of the export: the event as the program's own webhooks see it, with its id and the member's public sub. */
function line(event: DomainEvent): string {
  return `${JSON.stringify({ id: event.id, type: event.type, timestamp: event.time.toISOString(), sub: event.memberId, data: event.data })}\n`;
}

async function* exportLines(repository: AnalyticsRepository, query: { from: Date; to: Date; types: EventType[] | undefined }): AsyncGenerator<string> {
  let after: string | undefined;
  for (;;) {
    const page = await repository.exportPage({ ...query, after, limit: EXPORT_PAGE });
    if (page.length === 0) return;
    // One chunk per page: the stream's buffer then holds at most a page while the client is slow.
    yield page.map(line).join('');
    if (page.length < EXPORT_PAGE) return;
    after = page[page.length - 1]!.id;
  }
}

export function analyticsHandlers(repository: AnalyticsRepository) {
  return {
    async series(ctx: Context) {
      const parsed = analyticsQuery.safeParse(ctx.query);
      if (!parsed.success) throw new DomainError('invalid_input', 'invalid analytics query', { details: { fields: fieldErrors(parsed.error) } });
      const { metric, interval } = parsed.data as { metric: keyof typeof METRICS; interval: Interval; from: Date; to: Date };
      // Whole buckets: from rounds down and to up to the interval (UTC hours and days).
      const from = interval === 'hour' ? hourOf(parsed.data.from.getTime()) : dayOf(parsed.data.from.getTime());
      const step = interval === 'hour' ? HOUR_MS : DAY_MS;
      const to = Math.ceil(parsed.data.to.getTime() / step) * step;
      // Monthly distinct members are kept at the month's first day: months overlapping the range are read too.
      const readFrom = metric === 'active_members' ? Date.UTC(new Date(from).getUTCFullYear(), new Date(from).getUTCMonth(), 1) : from;
      const rows = await repository.counters({ metric, from: new Date(readFrom), to: new Date(to) });
      ctx.body = {
        metric,
        interval,
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
        dimensions: METRICS[metric].dimensions,
        series: toSeries(metric, rows, interval),
      };
    },

    async exportEvents(ctx: Context) {
      const parsed = exportQuery.safeParse(ctx.query);
      if (!parsed.success) throw new DomainError('invalid_input', 'invalid events export query', { details: { fields: fieldErrors(parsed.error) } });
      const { from, to, types } = parsed.data;
      ctx.type = 'application/x-ndjson; charset=utf-8';
      ctx.set('Content-Disposition', 'attachment; filename="events.ndjson"');
      // Readable.from pulls the next page only when the socket drained the last one (backpressure, never the whole range in memory).
      ctx.body = Readable.from(exportLines(repository, { from, to, types }), { objectMode: false });
    },
  };
}
