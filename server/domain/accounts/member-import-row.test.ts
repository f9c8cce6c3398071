// The import's hand-written row check must accept exactly what the row schema accepts, with the same output, so a
// refused row still gets zod's field and message (the fallback) and an accepted one imports the same member.
import { acceptedRow, parseImportRow, rowSchema } from './member-import-row.ts';

const BCRYPT = `$2b$10$${'N9qo8uLOickgx2ZMRZoMye'}${'IjZAgcfl7p92ldGxad68LJZdL17lhWy'}`;
const BASE = { email: 'Ann@Example.com', email_verified: true, password_hash: BCRYPT };

const variants: Array<[string, unknown]> = [
  ['the required fields only', BASE],
  ['every field', {
    ...BASE, phone_number: '+44 7400 123456', phone_verified: false, given_name: '  Ann ', family_name: 'Lee', locale: 'pt-BR',
    member_number: '7000000008', points_balance: 10, lifetime_points: 20, tier: 'gold', enrolment_channel: 'kiosk',
    created_at: '2020-01-02T03:04:05Z', consents: { newsletter: '2021-05-06' },
  }],
  ['unknown keys (stripped)', { ...BASE, favourite_colour: 'blue', __proto__x: 1 }],
  ['null', null],
  ['an array', [BASE]],
  ['a string', 'ann@example.com'],
  ['no email', { email_verified: true, password_hash: BCRYPT }],
  ['email of 320 characters', { ...BASE, email: `${'a'.repeat(308)}@example.com` }],
  ['email of 321 characters', { ...BASE, email: `${'a'.repeat(309)}@example.com` }],
  ['email a number', { ...BASE, email: 5 }],
  ['email_verified a string', { ...BASE, email_verified: 'true' }],
  ['an unknown hash format', { ...BASE, password_hash: 'plaintext' }],
  ['an empty hash', { ...BASE, password_hash: '' }],
  ['a hash over the length limit', { ...BASE, password_hash: BCRYPT + 'x'.repeat(1024) }],
  ['phone_number null', { ...BASE, phone_number: null }],
  ['phone_number of 33 characters', { ...BASE, phone_number: '+'.padEnd(33, '1') }],
  ['phone_verified a string', { ...BASE, phone_verified: 'yes' }],
  ['a name of spaces only', { ...BASE, given_name: '   ' }],
  ['a name of 200 characters once trimmed', { ...BASE, family_name: ` ${'b'.repeat(200)} ` }],
  ['a name of 201 characters', { ...BASE, family_name: 'b'.repeat(201) }],
  ['a name that is a number', { ...BASE, given_name: 7 }],
  ['a locale with a region', { ...BASE, locale: 'es-419' }],
  ['a locale that is no language tag', { ...BASE, locale: 'english' }],
  ['a locale with a space', { ...BASE, locale: 'en ' }],
  ['a member number of 33 characters', { ...BASE, member_number: '1'.repeat(33) }],
  ['a member number that is a number', { ...BASE, member_number: 7000000008 }],
  ['points at the limit', { ...BASE, points_balance: 1_000_000_000, lifetime_points: 1_000_000_000 }],
  ['points over the limit', { ...BASE, points_balance: 1_000_000_001 }],
  ['negative points', { ...BASE, lifetime_points: -1 }],
  ['fractional points', { ...BASE, points_balance: 1.5 }],
  ['points as text', { ...BASE, points_balance: '5' }],
  ['zero points', { ...BASE, points_balance: 0 }],
  ['an unknown tier', { ...BASE, tier: 'diamond' }],
  ['an unknown channel', { ...BASE, enrolment_channel: 'fax' }],
  ['a created_at date only', { ...BASE, created_at: '2020-01-02' }],
  ['a created_at with an offset', { ...BASE, created_at: '2020-01-02T03:04:05+02:00' }],
  ['a created_at that is no date', { ...BASE, created_at: 'yesterday' }],
  ['consents with a bad purpose', { ...BASE, consents: { 'News Letter': '2021-05-06' } }],
  ['consents with a bad date', { ...BASE, consents: { newsletter: 'soon' } }],
  ['21 consents', { ...BASE, consents: Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`p${i}`, '2021-05-06'])) }],
  ['consents that are a list', { ...BASE, consents: ['newsletter'] }],
];

describe('the import row check', () => {
  test.each(variants)('%s: accepted exactly as the schema accepts it', (_name, value) => {
    const schema = rowSchema.safeParse(value);
    expect(acceptedRow(value)).toEqual(schema.success ? schema.data : undefined);
  });

  test('a valid row takes the hand-written path', () => {
    expect(acceptedRow(variants[1]?.[1])).toBeDefined();
  });

  test('a refused row names the field and message the schema gives', () => {
    expect(parseImportRow({ ...BASE, points_balance: 1.5 })).toMatchObject({ ok: false, field: 'points_balance' });
    expect(parseImportRow({ ...BASE, password_hash: 'plaintext' })).toEqual({ ok: false, field: 'password_hash', message: 'unknown password hash format' });
    expect(parseImportRow({ ...BASE, given_name: '  ' })).toMatchObject({ ok: false, field: 'given_name' });
  });
});
