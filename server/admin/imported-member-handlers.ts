// Admin API: importing the old program's members (card number, name, email or phone, balance) to be claimed
// later. Each row is checked on its own; good rows are imported and bad ones reported, never imported.
import type { Context } from 'koa';
import { z } from 'zod';
import { isValidEmail, normaliseEmail } from '../domain/accounts/email-address.ts';
import { parsePhoneNumber } from '../domain/accounts/phone-number.ts';
import { DomainError } from '../domain/errors.ts';
import { textField } from '../domain/text.ts';
import { MAX_IMPORTED_BALANCE, MAX_NAME_LENGTH, normaliseCardNumber } from '../domain/loyalty/imported-member-rules.ts';
import type { ImportedMembersRepository, NewImportedMember } from '../domain/loyalty/imported-members.repository.ts';
import { fieldErrors } from './client-input.ts';

/** Rows per request: a 1,000-row batch is one transaction on SQLite, and a failed request is cheap to resend. */
export const MAX_IMPORT_ROWS = 1000;

const PHONE_PROBLEMS = { 'phone.invalid': 'must be a valid phone number', 'phone.not_mobile': 'must be a mobile number that can receive SMS' } as const;

/** One row as the old program exports it; `defaultCountry` reads national phone formats (SMS_DEFAULT_COUNTRY). */
function rowSchema(defaultCountry: string | undefined) {
  return z.object({
    card_number: z.string().max(64).transform((value, ctx) => {
      const card = normaliseCardNumber(value);
      if (!card) ctx.addIssue({ code: 'custom', message: 'must be 8-19 digits (spaces and dashes allowed)' });
      return card ?? '';
    }),
    name: textField(MAX_NAME_LENGTH),
    email: z.string().max(320).nullable().default(null).transform((value, ctx) => {
      if (value === null || value.trim() === '') return null;
      const email = normaliseEmail(value);
      if (!isValidEmail(email)) ctx.addIssue({ code: 'custom', message: 'must be an email address' });
      return email;
    }),
    phone: z.string().max(64).nullable().default(null).transform((value, ctx) => {
      if (value === null || value.trim() === '') return null;
      const parsed = parsePhoneNumber(value, defaultCountry);
      if (!parsed.ok) ctx.addIssue({ code: 'custom', message: PHONE_PROBLEMS[parsed.reason] });
      return parsed.ok ? parsed.e164 : null;
    }),
    balance: z.number().int().min(0).max(MAX_IMPORTED_BALANCE),
  }).strict();
}

export interface RowError {
  index: number;
  fields: Record<string, string>;
}

export function importedMemberHandlers(importedMembers: ImportedMembersRepository, defaultCountry: string | undefined) {
  const row = rowSchema(defaultCountry);

  return {
    async importMany(ctx: Context) {
      const body: unknown = ctx.request.body;
      if (!Array.isArray(body) || body.length === 0 || body.length > MAX_IMPORT_ROWS) {
        throw new DomainError('invalid_input', `send a JSON array of 1 to ${MAX_IMPORT_ROWS} records`, { details: { fields: { '(body)': `must be an array of 1 to ${MAX_IMPORT_ROWS} records` } } });
      }
      const errors: RowError[] = [];
      const valid: Array<{ index: number; record: NewImportedMember }> = [];
      body.forEach((input: unknown, index) => {
        const parsed = row.safeParse(input);
        if (!parsed.success) return errors.push({ index, fields: fieldErrors(parsed.error) });
        const { card_number: cardNumber, name, email, phone, balance } = parsed.data;
        valid.push({ index, record: { cardNumber, name, email, phone, balance } });
      });
      // A card twice in one request is ambiguous (which row is right?): every row with it is refused.
      const counts = new Map<string, number>();
      for (const { record } of valid) counts.set(record.cardNumber, (counts.get(record.cardNumber) ?? 0) + 1);
      const accepted = valid.filter(({ index, record }) => {
        if (counts.get(record.cardNumber) === 1) return true;
        errors.push({ index, fields: { card_number: 'appears more than once in this request' } });
        return false;
      });
      const outcomes = accepted.length > 0 ? await importedMembers.importMany(accepted.map(({ record }) => record)) : [];
      const count = (outcome: string) => outcomes.filter((o) => o === outcome).length;
      ctx.body = {
        received: body.length,
        inserted: count('inserted'),
        updated: count('updated'),
        // Claimed cards belong to an account now: left as they are, and named so the operator knows.
        claimed: accepted.filter((_, i) => outcomes[i] === 'claimed').map(({ index, record }) => ({ index, card_number: record.cardNumber })),
        rejected: errors.length,
        errors: errors.sort((a, b) => a.index - b.index),
      };
    },
  };
}
