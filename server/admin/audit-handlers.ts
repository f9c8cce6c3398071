// Admin API: querying the security audit log by account, type and time window, newest first, in signed pages.
import { isIP } from 'node:net';
import type { Context } from 'koa';
import { z } from 'zod';
import type { AuditLog } from '../domain/audit/audit-log.ts';
import { AUDIT_EVENT_TYPES, isAuditEventType, MAX_AUDIT_PAGE } from '../domain/audit/audit-rules.ts';
import type { AuditEvent, AuditEventType } from '../domain/audit/audit.repository.ts';
import { DomainError } from '../domain/errors.ts';
import { fieldErrors } from './client-input.ts';

export const DEFAULT_AUDIT_PAGE = 100;

const TIME_MESSAGE = 'must be an ISO 8601 date-time with a time zone offset, such as 2026-05-01T00:00:00Z';

/** A repeated parameter (?from=a&from=b) arrives as an array: refused rather than one silently chosen. */
const once = (message: string) => z.string({ error: message });

const instant = once(TIME_MESSAGE).pipe(z.iso.datetime({ offset: true, error: TIME_MESSAGE })).transform((value) => new Date(value));

const eventTypes = z
  .union([z.string(), z.array(z.string())])
  .transform((value, ctx): AuditEventType[] => {
    // Repeated (?type=a&type=b), comma-separated (?type=a,b), or both.
    const pieces = (Array.isArray(value) ? value : [value]).flatMap((item) => item.split(','));
    const unknown = pieces.find((piece) => !isAuditEventType(piece));
    if (unknown !== undefined) {
      ctx.addIssue({ code: 'custom', message: `unknown event type "${unknown.slice(0, 64)}"; expected one of ${AUDIT_EVENT_TYPES.join(', ')}` });
      return [];
    }
    return [...new Set(pieces as AuditEventType[])];
  });

// Strict: a misspelt filter (?account=...) must not silently widen the answer to every account.
const auditQuery = z
  .object({
    account_id: once('give one account id').min(1, 'must not be empty').max(200, 'must be at most 200 characters').optional(),
    type: eventTypes.optional(),
    // Issue 20: the console's filters, for scripts too (one address's trail across accounts; one country's events).
    ip: once('give one IP address').refine((value) => isIP(value) !== 0, 'must be an IPv4 or IPv6 address').optional(),
    country: once('give one country').regex(/^[A-Za-z]{2}$/, 'must be an ISO 3166-1 alpha-2 country code such as BR').transform((value) => value.toUpperCase()).optional(),
    from: instant.optional(),
    to: instant.optional(),
    limit: once(`must be a whole number from 1 to ${MAX_AUDIT_PAGE}`)
      .regex(/^\d{1,4}$/, `must be a whole number from 1 to ${MAX_AUDIT_PAGE}`)
      .transform(Number)
      .refine((limit) => limit >= 1 && limit <= MAX_AUDIT_PAGE, `must be a whole number from 1 to ${MAX_AUDIT_PAGE}`)
      .optional(),
    before: once('give one cursor').min(1, 'must be the `next` value of a previous page').optional(),
  })
  .strict()
  .refine((query) => !query.from || !query.to || query.from < query.to, { path: ['to'], message: 'must be later than from' });

function view(event: AuditEvent) {
  return {
    id: event.id,
    type: event.type,
    at: event.at.toISOString(),
    account_id: event.accountId,
    ip: event.ip,
    user_agent: event.userAgent,
    country: event.country,
    reason: event.reason,
    details: event.details,
  };
}

export function auditHandlers(audit: AuditLog) {
  return {
    async list(ctx: Context) {
      const parsed = auditQuery.safeParse(ctx.query);
      if (!parsed.success) throw new DomainError('invalid_input', 'invalid audit event query', { details: { fields: fieldErrors(parsed.error) } });
      const { account_id: accountId, type: types, ip, country, from, to, limit, before } = parsed.data;
      const page = await audit.list({ accountId, types, ip, country, from, to, limit: limit ?? DEFAULT_AUDIT_PAGE, before });
      ctx.body = { events: page.events.map(view), next: page.next };
    },
  };
}
