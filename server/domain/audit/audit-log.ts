// The security audit log service: records sanitised events without ever failing the caller, pages them for
// the admin API behind a signed cursor, and serves a member's own sign-in history and the retention sweep.
import { createHmac, randomUUID } from 'node:crypto';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import { constantTimeEqual } from '../../security/crypto.ts';
import { DomainError } from '../errors.ts';
import { isAuditEventType, MAX_AUDIT_PAGE, SIGN_IN_EVENT_TYPES } from './audit-rules.ts';
import type { AuditDetails, AuditEvent, AuditEventType, AuditQuery, AuditRepository } from './audit.repository.ts';

/** What a caller knows about an event; everything is cut to size and filtered before it is stored. */
export interface AuditInput {
  type: AuditEventType;
  accountId?: string | null;
  ip?: string | null;
  userAgent?: string | null;
  country?: string | null;
  reason?: string | null;
  /** Flat values; keys that look like secrets are dropped, others reduced to [A-Za-z0-9_]{1,40}. */
  details?: Readonly<Record<string, string | number | boolean | null | undefined>>;
  /** Defaults to now. */
  at?: Date;
}

/** A query whose `before` is the opaque `next` of a previous page. */
export interface AuditListQuery extends Omit<AuditQuery, 'before'> {
  before?: string;
}

export interface AuditPage {
  events: AuditEvent[];
  /** Pass as `before` for the next (older) page; null on the last one. */
  next: string | null;
}

export const MAX_USER_AGENT_LENGTH = 256;
export const MAX_REASON_LENGTH = 64;
export const MAX_DETAIL_KEYS = 20;
export const MAX_DETAIL_KEY_LENGTH = 40;
export const MAX_DETAIL_VALUE_LENGTH = 200;
/** Keys that may name a secret: their values never reach the log, whatever they hold. */
const SECRET_KEY = /pass|code|secret|token|otp|cookie/i;
/** Keys that would touch an object's prototype when assigned, or that mongoose reserves. */
const RESERVED_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
/**
 * Reasons are machine-readable words (`wrong_password`, `rule:velocity`) or admin route patterns
 * (`POST /admin/clients/:id`); anything else becomes `_`, so free text (an email, a message) cannot hide there.
 */
const REASON_DISALLOWED = /[^A-Za-z0-9_.:/ -]/g;
/** C0, DEL and C1 control characters: nothing a log line or a terminal should be handed. */
const CONTROL_CHARACTERS = /\p{Cc}/gu;
const MAX_ACCOUNT_ID_LENGTH = 200;
const DAY_MS = 24 * 60 * 60 * 1000;
/** How long record() waits for a slow store before letting the caller go on (the write may still land). */
const DEFAULT_WRITE_WAIT_MS = 2000;
/** Retention bounds, as AUDIT_RETENTION_DAYS allows. */
export const MIN_RETENTION_DAYS = 1;
export const MAX_RETENTION_DAYS = 3650;

/** At most `length` UTF-16 units, never ending in half a surrogate pair (both stores must keep it as is). */
function cut(value: string, length: number): string {
  const head = value.slice(0, length);
  return /[\uD800-\uDBFF]$/.test(head) ? head.slice(0, -1) : head;
}

function cleanText(value: string | null | undefined, length: number): string | null {
  if (typeof value !== 'string') return null;
  const cleaned = cut(value.replace(CONTROL_CHARACTERS, ''), length);
  return cleaned === '' ? null : cleaned;
}

function cleanDetails(details: AuditInput['details']): AuditDetails {
  const kept: Array<[string, string | number | boolean | null]> = [];
  const seen = new Set<string>();
  for (const [rawKey, value] of Object.entries(details ?? {})) {
    if (kept.length >= MAX_DETAIL_KEYS) break;
    const key = rawKey.replace(/[^A-Za-z0-9_]/g, '_').slice(0, MAX_DETAIL_KEY_LENGTH);
    if (SECRET_KEY.test(rawKey) || SECRET_KEY.test(key) || !/[A-Za-z0-9]/.test(key) || RESERVED_KEYS.has(key) || seen.has(key)) continue;
    let clean: string | number | boolean | null;
    if (typeof value === 'string') clean = cut(value, MAX_DETAIL_VALUE_LENGTH);
    // JSON has no NaN or Infinity: stored as null by both stores alike.
    else if (typeof value === 'number') clean = Number.isFinite(value) ? value : null;
    else if (typeof value === 'boolean' || value === null) clean = value;
    else continue; // undefined, and anything not flat that slipped past the types
    seen.add(key);
    kept.push([key, clean]);
  }
  // fromEntries defines own properties: no key can reach a prototype.
  return Object.fromEntries(kept);
}

/** The event as stored: random id, `at` defaulted, every field cut and filtered. */
export function toAuditEvent(input: AuditInput, now: Date): AuditEvent {
  const reason = cleanText(input.reason, MAX_REASON_LENGTH)?.replace(REASON_DISALLOWED, '_') ?? null;
  const country = typeof input.country === 'string' && /^[A-Za-z]{2}$/.test(input.country) ? input.country.toUpperCase() : null;
  const at = input.at instanceof Date && !Number.isNaN(input.at.getTime()) ? input.at : now;
  return {
    id: randomUUID(),
    type: input.type,
    at,
    accountId: cleanText(input.accountId, MAX_ACCOUNT_ID_LENGTH),
    ip: typeof input.ip === 'string' && isIP(input.ip) !== 0 ? input.ip : null,
    userAgent: cleanText(input.userAgent, MAX_USER_AGENT_LENGTH),
    country,
    reason,
    details: cleanDetails(input.details),
  };
}

function describeError(error: unknown): string {
  // Name and code only: messages of validation errors can quote the values being written.
  if (typeof error !== 'object' || error === null) return typeof error;
  const { name, code } = error as { name?: unknown; code?: unknown };
  return [typeof name === 'string' ? name : 'Error', typeof code === 'string' || typeof code === 'number' ? String(code) : ''].filter(Boolean).join(' ');
}

function invalidCursor(): DomainError {
  return new DomainError('invalid_input', 'invalid paging cursor', { details: { fields: { before: 'must be the `next` value of a previous page' } } });
}

export interface AuditLogDeps {
  repository: AuditRepository;
  logger: Logger;
  /** Signs paging cursors, so a garbled or edited one is refused rather than read as some other position. */
  cursorKey: Buffer;
  now?: () => Date;
  writeWaitMs?: number;
  /** Told of every event before it is written (metrics); its errors are swallowed like the store's. */
  onEvent?: (input: AuditInput) => void;
}

export class AuditLog {
  private readonly repository: AuditRepository;
  private readonly logger: Logger;
  private readonly cursorKey: Buffer;
  private readonly now: () => Date;
  private readonly writeWaitMs: number;
  private readonly onEvent: ((input: AuditInput) => void) | undefined;

  constructor(deps: AuditLogDeps) {
    this.repository = deps.repository;
    this.logger = deps.logger;
    this.cursorKey = deps.cursorKey;
    this.now = deps.now ?? (() => new Date());
    this.writeWaitMs = deps.writeWaitMs ?? DEFAULT_WRITE_WAIT_MS;
    this.onEvent = deps.onEvent;
  }

  /**
   * Never throws and never holds the caller long: a sign-in must not fail, nor hang, because the audit store
   * did. A failed or slow write is logged (type and account only, never details) and the caller goes on.
   */
  async record(input: AuditInput): Promise<void> {
    const context = { type: input.type, accountId: typeof input.accountId === 'string' ? input.accountId.slice(0, MAX_ACCOUNT_ID_LENGTH) : null };
    let timer: NodeJS.Timeout | undefined;
    try {
      if (!isAuditEventType(String(input.type))) throw new TypeError('unknown audit event type');
      try {
        this.onEvent?.(input);
      } catch (error) {
        this.logger.warn({ ...context, error: describeError(error) }, 'audit event listener failed');
      }
      const write = this.repository.append(toAuditEvent(input, this.now()));
      const slow = new Promise<'slow'>((resolve) => {
        timer = setTimeout(() => resolve('slow'), this.writeWaitMs);
        timer.unref();
      });
      const outcome = await Promise.race([write, slow]);
      if (outcome === 'slow') {
        this.logger.error(context, 'audit event write is slow; not waiting for it');
        write.catch((error: unknown) => this.logger.error({ ...context, error: describeError(error) }, 'audit event not recorded'));
      }
    } catch (error) {
      this.logger.error({ ...context, error: describeError(error) }, 'audit event not recorded');
    } finally {
      clearTimeout(timer);
    }
  }

  /** Newest first; `next` is set only when an older event exists. Invalid input (or cursor) is invalid_input. */
  async list(query: AuditListQuery): Promise<AuditPage> {
    const { before: cursor, ...rest } = query;
    const base: AuditQuery = { ...rest, ...(cursor === undefined ? {} : { before: this.decodeCursor(cursor) }) };
    // One row more than asked tells whether a next page exists; at the maximum page size a one-row probe does.
    const rows = await this.repository.list({ ...base, limit: Math.min(query.limit + 1, MAX_AUDIT_PAGE) });
    const events = rows.slice(0, query.limit);
    const last = events.at(-1);
    let more = rows.length > query.limit;
    if (!more && last && rows.length === MAX_AUDIT_PAGE) {
      more = (await this.repository.list({ ...base, before: { at: last.at, id: last.id }, limit: 1 })).length > 0;
    }
    return { events, next: more && last ? this.encodeCursor(last) : null };
  }

  /** The account's sign-in outcomes, newest first (the member's own account page). */
  async signInHistory(accountId: string, limit: number): Promise<AuditEvent[]> {
    return this.repository.list({ accountId, types: [...SIGN_IN_EVENT_TYPES], limit });
  }

  /** Retention: removes events older than `days` days; returns how many. */
  async deleteOlderThan(days: number): Promise<number> {
    if (!Number.isSafeInteger(days) || days < MIN_RETENTION_DAYS || days > MAX_RETENTION_DAYS) {
      throw new DomainError('invalid_input', `retention must be ${MIN_RETENTION_DAYS}-${MAX_RETENTION_DAYS} days`);
    }
    return this.repository.deleteBefore(new Date(this.now().getTime() - days * DAY_MS));
  }

  private tag(payload: string): string {
    return createHmac('sha256', this.cursorKey).update(`audit-cursor\0${payload}`).digest().subarray(0, 16).toString('base64url');
  }

  /** `<base64url of "at.id">.<base64url of a truncated HMAC>`: opaque to callers, and only ours decode. */
  private encodeCursor(event: AuditEvent): string {
    const payload = `${event.at.getTime()}.${event.id}`;
    return `${Buffer.from(payload, 'utf8').toString('base64url')}.${this.tag(payload)}`;
  }

  private decodeCursor(cursor: string): { at: Date; id: string } {
    const match = /^([A-Za-z0-9_-]{1,600})\.([A-Za-z0-9_-]{22})$/.exec(cursor);
    if (!match) throw invalidCursor();
    const payload = Buffer.from(match[1]!, 'base64url').toString('utf8');
    if (!constantTimeEqual(match[2]!, this.tag(payload))) throw invalidCursor();
    const parts = /^(\d{1,16})\.(.+)$/s.exec(payload);
    const at = new Date(Number(parts?.[1]));
    if (!parts || Number.isNaN(at.getTime())) throw invalidCursor();
    return { at, id: parts[2]! };
  }
}
