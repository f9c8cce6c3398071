// `npm run import -- FILE.csv`: a header row names the fields; quoted cells with commas, newlines and quotes read as
// written; the old program's tier, consents, joining date, enrolment channel and an unverified phone are kept; bad
// rows are reported by line and field; a wrong header stops before anything is written; rows that differ only by
// case or Unicode form (NFC/NFKC) are one member.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { openStorage } from '../../adapters/index.ts';
import { dropMongoDatabase } from '../../adapters/mongo/drop-database.ts';
import { allowFerretDbTime } from '../support/ferretdb-timeout.ts';
import { importEnv, runImport, type ImportRun } from '../support/import-run.ts';
import { STORES } from '../support/test-server.ts';

const csvCell = (value: string) => (/[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value);
const csvRow = (cells: string[]) => cells.map(csvCell).join(',');

describe.each(STORES)('npm run import of a CSV file (%s)', (store) => {
  if (store === 'mongo') allowFerretDbTime();
  const { dataDir, env } = importEnv(store, 'csv');
  const tag = `${store}.${process.pid}`;
  const hash = bcrypt.hashSync('old password', 4);
  const ann = `ann.${tag}@example.com`;
  const fiona = `fiona.${tag}@example.com`;
  const header = ['password_hash', 'email', 'email_verified', 'given_name', 'family_name', 'phone_number', 'phone_verified',
    'tier', 'points_balance', 'lifetime_points', 'enrolment_channel', 'created_at', 'consent:marketing_email', 'consent:partner_offers', 'locale'];
  const rows = [
    csvRow(header), // line 1
    csvRow([hash, ann, 'true', 'Ann\nMarie', 'O"Brien, Jr.', '+447400123456', 'false', 'gold', '120', '6000', 'kiosk', '2019-05-04T10:00:00Z', '2020-01-02', '', 'fr']), // lines 2-3
    csvRow([hash, ann.toUpperCase(), 'TRUE', 'Ann\nMarie', 'O"Brien, Jr.', '+447400123456', 'false', 'gold', '120', '6000', 'kiosk', '2019-05-04T10:00:00Z', '2020-01-02', '', 'fr']), // lines 4-5
    // "ﬁ" (one ligature character) and fullwidth "＠": NFKC makes them the same address as `fiona`.
    csvRow([hash, `ﬁona.${tag}＠example.com`, '1', 'Fiona', '', '', '', '', '', '', 'app', '', '', '2021-07-08T09:10:11+02:00', '']), // line 6
    csvRow([hash, fiona, 'yes', 'Fiona', '', '', '', '', '', '', 'app', '', '', '2021-07-08T09:10:11+02:00', '']), // line 7
    csvRow([hash, `bad.${tag}@example.com`, 'maybe', '', '', '', '', '', '', '', '', '', '', '', '']), // line 8
    csvRow([hash, `short.${tag}@example.com`, 'true']), // line 9
    csvRow(['not-a-hash', `nohash.${tag}@example.com`, 'true', '', '', '', '', '', '', '', '', '', '', '', '']), // line 10
    csvRow([hash, `tier.${tag}@example.com`, 'true', '', '', '', '', 'diamond', '', '', '', '', '', '', '']), // line 11
  ];
  const file = join(dataDir, 'members.csv');
  let run: ImportRun;

  beforeAll(async () => {
    writeFileSync(file, `\uFEFF${rows.join('\r\n')}\r\n`);
    run = await runImport([file], env);
  }, 240_000);

  afterAll(async () => {
    if (store === 'mongo') await dropMongoDatabase(env.MONGODB_URI!);
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function withStorage<T>(work: (storage: Awaited<ReturnType<typeof openStorage>>) => Promise<T>): Promise<T> {
    const storage = await openStorage({ dataDir, mongodbUri: env.MONGODB_URI });
    try {
      return await work(storage);
    } finally {
      await storage.close();
    }
  }

  test('prints the summary and names each bad row by line and field', () => {
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toBe('imported 2, updated 0, rejected 4');
    expect(run.stderr).toContain('line 8: email_verified: ');
    expect(run.stderr).toContain('line 9: (row): not as many cells as the header has columns');
    expect(run.stderr).toContain('line 10: password_hash: unknown password hash format');
    expect(run.stderr).toContain('line 11: tier: ');
  });

  test('quoted cells read as written, and the old program\'s data is kept on the member', async () => {
    await withStorage(async ({ accounts, loyalty, profiles, memberImports }) => {
      const a = (await accounts.findByEmail(ann))!;
      expect(a.passwordHash).toBe(hash);
      // An unverified number never becomes a sign-in phone: it is kept aside for the member to confirm.
      expect(a.phone).toBeNull();
      const { fields } = await profiles.find(a.id);
      expect(fields.given_name?.value).toBe('Ann\nMarie');
      expect(fields.family_name?.value).toBe('O"Brien, Jr.');
      expect(fields.locale?.value).toBe('fr');
      expect(await loyalty.findMember(a.id)).toMatchObject({ enrolmentChannel: 'kiosk', balance: 120, lifetimePoints: 6000 });
      expect(await memberImports.findMemberData(a.id)).toEqual({
        tier: 'gold', consents: { marketing_email: '2020-01-02' }, joinedAt: '2019-05-04T10:00:00Z', unverifiedPhone: '+447400123456',
      });
      const f = (await accounts.findByEmail(fiona))!;
      expect(await loyalty.findMember(f.id)).toMatchObject({ enrolmentChannel: 'app', balance: 0 });
      expect(await memberImports.findMemberData(f.id)).toEqual({
        tier: null, consents: { partner_offers: '2021-07-08T09:10:11+02:00' }, joinedAt: null, unverifiedPhone: null,
      });
    });
  });

  test('a wrong header stops before anything is written, naming the column', async () => {
    const wrong = join(dataDir, 'wrong.csv');
    writeFileSync(wrong, `mail,email_verified,password_hash\nwrong.${tag}@example.com,true,${hash}\n`);
    const result = await runImport([wrong], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('line 1: wrong header: unknown column "mail"');
    expect(result.stdout.trim()).toBe('imported 0, updated 0, rejected 0');
    const missing = join(dataDir, 'missing.csv');
    writeFileSync(missing, `email,email_verified\nmissing.${tag}@example.com,true\n`);
    const second = await runImport([missing], env);
    expect(second.code).toBe(1);
    expect(second.stderr).toContain('wrong header: missing column password_hash');
    await withStorage(async ({ accounts }) => {
      expect(await accounts.findByEmail(`wrong.${tag}@example.com`)).toBeUndefined();
      expect(await accounts.findByEmail(`missing.${tag}@example.com`)).toBeUndefined();
    });
  }, 240_000);

  test('a file cut off inside a quoted cell stops with a report of what was imported', async () => {
    const cut = join(dataDir, 'cut.csv');
    writeFileSync(cut, `email,email_verified,password_hash,given_name\nbefore.cut.${tag}@example.com,true,${hash},Bo\nafter.cut.${tag}@example.com,true,${hash},"Unfinish`);
    const result = await runImport([cut], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/line \d+: the file ends inside a quoted field \(truncated\?\)/);
    expect(result.stdout.trim()).toBe('imported 1, updated 0, rejected 0');
  }, 240_000);

  test('a re-run of the same file changes nothing', async () => {
    const again = await runImport([file], env);
    expect(again.stdout.trim()).toBe('imported 0, updated 0, rejected 4');
  }, 240_000);
});
