// One record of `npm run import` (an NDJSON line or a CSV row): zod at the edge, with the field that failed named for
// the row report. CSV cells arrive as text and are read as the NDJSON types first (see fromCsvRecord).
import { z } from 'zod';
import { recogniseHash, MAX_HASH_LENGTH } from '../../passwords/legacy/registry.ts';
import { normaliseMemberNumber } from '../loyalty/member-number.ts';
import type { EnrolmentChannel } from '../loyalty/loyalty.repository.ts';
import type { MemberImportData } from './member-import-store.ts';
import { isValidEmail, normaliseEmail } from './email-address.ts';
import { parsePhoneNumber } from './phone-number.ts';

/** Points an imported member may carry (the ledger's safe-integer range, well below it). */
const MAX_POINTS = 1_000_000_000;

const name = z.string().trim().min(1).max(200);

/** The fields a record may carry, in the order a CSV header lists them in the docs. */
export const IMPORT_FIELDS = [
  'email', 'email_verified', 'password_hash', 'phone_number', 'phone_verified', 'given_name', 'family_name', 'locale',
  'member_number', 'tier', 'points_balance', 'lifetime_points', 'enrolment_channel', 'created_at', 'consents',
] as const;
export const REQUIRED_FIELDS = ['email', 'email_verified', 'password_hash'] as const;
/** A CSV column `consent:<purpose>` carries the date that consent was given (empty: not given). */
export const CONSENT_COLUMN_PREFIX = 'consent:';

const purpose = z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'expected a purpose name (a-z, 0-9, _)');
const isoDate = z.iso.datetime({ offset: true }).or(z.iso.date());
const tierName = z.enum(['member', 'silver', 'gold', 'platinum']);

/** Exported for the fast path's test (member-import-row.test.ts): the rules every record is held to. */
export const rowSchema = z.object({
  email: z.string().max(320),
  email_verified: z.boolean(),
  password_hash: z.string().max(MAX_HASH_LENGTH).refine((hash) => recogniseHash(hash) !== undefined, 'unknown password hash format'),
  phone_number: z.string().max(32).optional(),
  /** Absent: the old program's number is taken as verified (it signed in with it there); false keeps it aside. */
  phone_verified: z.boolean().optional(),
  given_name: name.optional(),
  family_name: name.optional(),
  locale: z.string().regex(/^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8}){0,3}$/, 'expected a BCP 47 language tag').optional(),
  member_number: z.string().max(32).optional(),
  points_balance: z.number().int().min(0).max(MAX_POINTS).optional(),
  lifetime_points: z.number().int().min(0).max(MAX_POINTS).optional(),
  tier: tierName.optional(),
  enrolment_channel: z.enum(['web', 'app', 'kiosk', 'partner']).optional(),
  created_at: isoDate.optional(),
  consents: z.record(purpose, isoDate).refine((value) => Object.keys(value).length <= 20, 'at most 20 consents').optional(),
});

type RowInput = z.infer<typeof rowSchema>;

const LOCALE = /^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8}){0,3}$/;
const TIERS: ReadonlySet<unknown> = new Set(tierName.options);
const CHANNELS: ReadonlySet<unknown> = new Set(['web', 'app', 'kiosk', 'partner']);
const consentsSchema = rowSchema.shape.consents;

const isPoints = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0 && value <= MAX_POINTS;
const trimmedName = (value: unknown): string | undefined => {
  if (typeof value !== 'string') return undefined;
  const trimmed = value.trim();
  return trimmed.length >= 1 && trimmed.length <= 200 ? trimmed : undefined;
};

/**
 * rowSchema's output for a record it accepts, checked by hand; undefined as soon as anything is off, and the caller
 * then asks rowSchema itself, so a refused row names the same field and message. zod costs several times this per
 * row and allocates for every field: at a million rows its parse and the scavenges it caused were a tenth of the
 * import's CPU. Dates and consents (rare, and their rules are zod's) go through their own part of the schema.
 */
export function acceptedRow(value: unknown): RowInput | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  const { email, email_verified: emailVerified, password_hash: passwordHash } = v;
  if (typeof email !== 'string' || email.length > 320 || typeof emailVerified !== 'boolean') return undefined;
  if (typeof passwordHash !== 'string' || passwordHash.length > MAX_HASH_LENGTH || recogniseHash(passwordHash) === undefined) return undefined;
  const row: RowInput = { email, email_verified: emailVerified, password_hash: passwordHash };
  if (v.phone_number !== undefined) {
    if (typeof v.phone_number !== 'string' || v.phone_number.length > 32) return undefined;
    row.phone_number = v.phone_number;
  }
  if (v.phone_verified !== undefined) {
    if (typeof v.phone_verified !== 'boolean') return undefined;
    row.phone_verified = v.phone_verified;
  }
  for (const field of ['given_name', 'family_name'] as const) {
    if (v[field] === undefined) continue;
    const name = trimmedName(v[field]);
    if (name === undefined) return undefined;
    row[field] = name;
  }
  if (v.locale !== undefined) {
    if (typeof v.locale !== 'string' || !LOCALE.test(v.locale)) return undefined;
    row.locale = v.locale;
  }
  if (v.member_number !== undefined) {
    if (typeof v.member_number !== 'string' || v.member_number.length > 32) return undefined;
    row.member_number = v.member_number;
  }
  for (const field of ['points_balance', 'lifetime_points'] as const) {
    if (v[field] === undefined) continue;
    if (!isPoints(v[field])) return undefined;
    row[field] = v[field];
  }
  if (v.tier !== undefined) {
    if (!TIERS.has(v.tier)) return undefined;
    row.tier = v.tier as RowInput['tier'];
  }
  if (v.enrolment_channel !== undefined) {
    if (!CHANNELS.has(v.enrolment_channel)) return undefined;
    row.enrolment_channel = v.enrolment_channel as RowInput['enrolment_channel'];
  }
  if (v.created_at !== undefined) {
    const date = isoDate.safeParse(v.created_at);
    if (!date.success) return undefined;
    row.created_at = date.data;
  }
  if (v.consents !== undefined) {
    const consents = consentsSchema.safeParse(v.consents);
    if (!consents.success) return undefined;
    row.consents = consents.data;
  }
  return row;
}

export interface ImportRow {
  /** Normalised (see normaliseEmail): rows differing only in case or Unicode form are one member. */
  email: string;
  emailVerified: boolean;
  passwordHash: string;
  phone: string | undefined;
  profile: Record<string, string>;
  /** The file's number when its check digit is right; undefined (a number is issued) otherwise. */
  memberNumber: string | undefined;
  /** The file had a member number that was not valid, so a new one is issued. */
  memberNumberReissued: boolean;
  balance: number;
  lifetime: number;
  enrolmentChannel: EnrolmentChannel;
  /** Kept on the member as data (see MemberImportData); null when the record had none of it. */
  data: MemberImportData | null;
}

export type RowParse = { ok: true; row: ImportRow } | { ok: false; field: string; message: string };

export function parseImportRow(value: unknown): RowParse {
  let input = acceptedRow(value);
  if (input === undefined) {
    const parsed = rowSchema.safeParse(value);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return { ok: false, field: issue?.path.join('.') || '(row)', message: issue?.message ?? 'invalid' };
    }
    input = parsed.data;
  }
  // NFKC first: old systems hand out compatibility forms (fullwidth letters, ligatures) that are the same address.
  const email = normaliseEmail(input.email.normalize('NFKC'));
  if (!isValidEmail(email)) return { ok: false, field: 'email', message: 'not a valid email address' };
  let phone: string | undefined;
  let unverifiedPhone: string | null = null;
  if (input.phone_number !== undefined) {
    const result = parsePhoneNumber(input.phone_number);
    if (!result.ok) return { ok: false, field: 'phone_number', message: result.reason === 'phone.not_mobile' ? 'not a mobile number' : 'not an E.164 number' };
    // A phone here signs in by SMS: only a number the old program had verified becomes one.
    if (input.phone_verified === false) unverifiedPhone = result.e164;
    else phone = result.e164;
  }
  const balance = input.points_balance ?? 0;
  const lifetime = input.lifetime_points ?? balance;
  if (lifetime < balance) return { ok: false, field: 'lifetime_points', message: 'lower than points_balance' };
  const memberNumber = input.member_number === undefined ? undefined : normaliseMemberNumber(input.member_number);
  const profile: Record<string, string> = {};
  if (input.given_name !== undefined) profile.given_name = input.given_name;
  if (input.family_name !== undefined) profile.family_name = input.family_name;
  if (input.locale !== undefined) profile.locale = input.locale;
  const consents = input.consents ?? {};
  const hasData = input.tier !== undefined || input.created_at !== undefined || unverifiedPhone !== null || Object.keys(consents).length > 0;
  const data: MemberImportData | null = hasData
    ? { tier: input.tier ?? null, consents: Object.fromEntries(Object.entries(consents).sort(([a], [b]) => a.localeCompare(b))), joinedAt: input.created_at ?? null, unverifiedPhone }
    : null;
  return {
    ok: true,
    row: {
      email,
      emailVerified: input.email_verified,
      passwordHash: input.password_hash,
      phone,
      profile,
      memberNumber,
      memberNumberReissued: input.member_number !== undefined && memberNumber === undefined,
      balance,
      lifetime,
      enrolmentChannel: input.enrolment_channel ?? 'web',
      data,
    },
  };
}

const BOOLEANS: Record<string, boolean> = { true: true, false: false, '1': true, '0': false, yes: true, no: false };
const BOOLEAN_FIELDS = new Set(['email_verified', 'phone_verified']);
const INTEGER_FIELDS = new Set(['points_balance', 'lifetime_points']);

/**
 * A CSV record (header name → cell) as the object an NDJSON line would carry: empty cells are absent, booleans
 * and integers are read from their usual spellings, `consent:<purpose>` columns gather into `consents`. A cell
 * that does not read as its type is left as text, so the schema names that field in the row report.
 */
export function fromCsvRecord(record: Record<string, string>): Record<string, unknown> {
  const value: Record<string, unknown> = {};
  const consents: Record<string, string> = {};
  for (const [column, cell] of Object.entries(record)) {
    if (cell === '') continue;
    if (column.startsWith(CONSENT_COLUMN_PREFIX)) consents[column.slice(CONSENT_COLUMN_PREFIX.length)] = cell;
    else if (BOOLEAN_FIELDS.has(column)) value[column] = BOOLEANS[cell.trim().toLowerCase()] ?? cell;
    else if (INTEGER_FIELDS.has(column)) value[column] = /^\s*-?\d{1,16}\s*$/.test(cell) ? Number(cell) : cell;
    else value[column] = cell;
  }
  if (Object.keys(consents).length > 0) value.consents = consents;
  return value;
}

/** What is wrong with a CSV header, or undefined when it names known fields only and all the required ones. */
export function checkCsvHeader(columns: readonly string[]): string | undefined {
  const known = new Set<string>(IMPORT_FIELDS.filter((field) => field !== 'consents'));
  const unknown = columns.filter((column) => !known.has(column) && !(column.startsWith(CONSENT_COLUMN_PREFIX) && purpose.safeParse(column.slice(CONSENT_COLUMN_PREFIX.length)).success));
  if (unknown.length > 0) return `unknown column${unknown.length > 1 ? 's' : ''} ${unknown.map((c) => JSON.stringify(c)).join(', ')}`;
  const duplicated = columns.filter((column, index) => columns.indexOf(column) !== index);
  if (duplicated.length > 0) return `column ${JSON.stringify(duplicated[0])} appears twice`;
  const missing = REQUIRED_FIELDS.filter((field) => !columns.includes(field));
  if (missing.length > 0) return `missing column${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`;
  return undefined;
}
