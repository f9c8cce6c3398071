// One NDJSON line of `npm run import`: zod at the edge, with the field that failed named for the row report.
import { z } from 'zod';
import { recogniseHash, MAX_HASH_LENGTH } from '../../passwords/legacy/registry.ts';
import { normaliseMemberNumber } from '../loyalty/member-number.ts';
import { isValidEmail, normaliseEmail } from './email-address.ts';
import { parsePhoneNumber } from './phone-number.ts';

/** Points an imported member may carry (the ledger's safe-integer range, well below it). */
const MAX_POINTS = 1_000_000_000;

const name = z.string().trim().min(1).max(200);

const rowSchema = z.object({
  email: z.string().max(320),
  email_verified: z.boolean(),
  password_hash: z.string().max(MAX_HASH_LENGTH).refine((hash) => recogniseHash(hash) !== undefined, 'unknown password hash format'),
  phone_number: z.string().max(32).optional(),
  given_name: name.optional(),
  family_name: name.optional(),
  locale: z.string().regex(/^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8}){0,3}$/, 'expected a BCP 47 language tag').optional(),
  member_number: z.string().max(32).optional(),
  points_balance: z.number().int().min(0).max(MAX_POINTS).optional(),
  lifetime_points: z.number().int().min(0).max(MAX_POINTS).optional(),
});

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
}

export type RowParse = { ok: true; row: ImportRow } | { ok: false; field: string; message: string };

export function parseImportRow(value: unknown): RowParse {
  const parsed = rowSchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, field: issue?.path.join('.') || '(row)', message: issue?.message ?? 'invalid' };
  }
  const input = parsed.data;
  const email = normaliseEmail(input.email);
  if (!isValidEmail(email)) return { ok: false, field: 'email', message: 'not a valid email address' };
  let phone: string | undefined;
  if (input.phone_number !== undefined) {
    const result = parsePhoneNumber(input.phone_number);
    if (!result.ok) return { ok: false, field: 'phone_number', message: result.reason === 'phone.not_mobile' ? 'not a mobile number' : 'not an E.164 number' };
    phone = result.e164;
  }
  const balance = input.points_balance ?? 0;
  const lifetime = input.lifetime_points ?? balance;
  if (lifetime < balance) return { ok: false, field: 'lifetime_points', message: 'lower than points_balance' };
  const memberNumber = input.member_number === undefined ? undefined : normaliseMemberNumber(input.member_number);
  const profile: Record<string, string> = {};
  if (input.given_name !== undefined) profile.given_name = input.given_name;
  if (input.family_name !== undefined) profile.family_name = input.family_name;
  if (input.locale !== undefined) profile.locale = input.locale;
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
    },
  };
}
