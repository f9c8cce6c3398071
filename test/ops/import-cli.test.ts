// `npm run import -- FILE.ndjson` as an operator runs it (a child process on the real store): imported members
// sign in over HTTP with their old password and are upgraded; a re-run changes nothing; bad rows are reported
// by line and field while good rows go in; a file that is not UTF-8 or is cut short stops with a clear report.
import { execFile } from 'node:child_process';
import { pbkdf2Sync, randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { allowFerretDbTime } from '../support/ferretdb-timeout.ts';
import { mongoTestUri } from '../support/mongo-uri.ts';
import { dropMongoDatabase } from '../../adapters/mongo/drop-database.ts';
import { openLoginPage, signIn, UserAgent } from '../support/member.ts';
import { authorizationRequest, discover, type oidc, REDIRECT_URI, registerClient } from '../support/oidc-client.ts';
import { STORES, startTestServer, type TestServer } from '../support/test-server.ts';

const PASSWORD = 'old system password 42';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function runImport(file: string, env: Record<string, string>): Promise<Run> {
  return new Promise((resolve) => {
    // The jest setup puts FerretDB's MONGODB_URI in this process's environment: the SQLite runs must not inherit it.
    const { MONGODB_URI: _inherited, ...inherited } = process.env;
    execFile('npm', ['run', '-s', 'import', '--', file], { env: { ...inherited, ...env }, timeout: 120_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

const line = (value: object) => JSON.stringify(value);

describe.each(STORES)('npm run import (%s)', (store) => {
  if (store === 'mongo') allowFerretDbTime();
  const dataDir = mkdtempSync(join(tmpdir(), 'idp-import-'));
  const mongoDb = `idp_import_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const env: Record<string, string> = {
    DATA_DIR: dataDir,
    KEY_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
    LOG_LEVEL: 'silent',
    ...(store === 'mongo' ? { MONGODB_URI: mongoTestUri(mongoDb) } : {}),
  };
  const tag = `${store}.${process.pid}`;
  const ann = `ann.${tag}@example.com`;
  const zoe = `zoë.${tag}@example.com`;
  const dan = `dan.${tag}@example.com`;
  const file = join(dataDir, 'members.ndjson');
  let server: TestServer;
  let config: oidc.Configuration;
  let first: Run;

  const bcryptHash = bcrypt.hashSync(PASSWORD, 4);
  const djangoHash = `pbkdf2_sha256$1000$s4lt$${pbkdf2Sync(PASSWORD, 's4lt', 1000, 32, 'sha256').toString('base64')}`;
  const rows = [
    // 1: kept member number (Luhn-valid), points with a lifetime higher than the balance.
    line({ email: ann.toUpperCase(), email_verified: true, password_hash: bcryptHash, given_name: 'Ann', member_number: '79927398713', points_balance: 120, lifetime_points: 500 }),
    // 2: the same member in another case: one member, nothing new.
    line({ email: ann, email_verified: true, password_hash: bcryptHash, given_name: 'Ann', member_number: '79927398713', points_balance: 120, lifetime_points: 500 }),
    // 3: a number with a wrong check digit is re-issued.
    line({ email: zoe.normalize('NFD'), email_verified: true, password_hash: djangoHash, member_number: '79927398714', points_balance: 5 }),
    // 4: the same member in composed Unicode form.
    line({ email: zoe.normalize('NFC').toUpperCase(), email_verified: true, password_hash: djangoHash, points_balance: 5 }),
    line({ email: `unknown.${tag}@example.com`, email_verified: true, password_hash: '5f4dcc3b5aa765d61d8327deb882cf99' }), // 5
    '{"email": "broken', // 6
    line({ email: 'not an email', email_verified: true, password_hash: bcryptHash }), // 7
    line({ email: `huge.${tag}@example.com`, email_verified: true, password_hash: bcryptHash, given_name: 'x'.repeat(100_000) }), // 8
    line({ email: `long.${tag}@example.com`, email_verified: true, password_hash: bcryptHash, family_name: 'y'.repeat(5_000) }), // 9
    line({ email: dan, email_verified: true, password_hash: `md5$salt$${'0'.repeat(32)}` }), // 10
  ];

  beforeAll(async () => {
    writeFileSync(file, `${rows.join('\n')}\n`);
    first = await runImport(file, env);
    server = await startTestServer({ store, dataDir, mongoDb, env: { KEY_ENCRYPTION_KEY: env.KEY_ENCRYPTION_KEY! } });
    const client = await registerClient(server, { first_party: true });
    config = await discover(server, client);
  }, 180_000);

  afterAll(async () => {
    await server?.close();
    if (store === 'mongo') await dropMongoDatabase(env.MONGODB_URI!);
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function attempt(email: string, password: string) {
    const ua = new UserAgent(server.url);
    return signIn(ua, await openLoginPage(ua, (await authorizationRequest(config)).url), email, password);
  }

  test('prints the summary and names each bad row by line and field', () => {
    expect(first.code).toBe(0);
    expect(first.stdout.trim()).toBe('imported 3, updated 0, rejected 5');
    expect(first.stderr).toContain('line 5: password_hash: unknown password hash format');
    expect(first.stderr).toContain('line 6: (line): not valid JSON');
    expect(first.stderr).toContain('line 7: email: not a valid email address');
    expect(first.stderr).toMatch(/line 8: \(line\): longer than \d+ bytes/);
    expect(first.stderr).toMatch(/line 9: family_name: /);
  });

  test('members keep their data: one member per email whatever the case or Unicode form, number kept or re-issued, points', async () => {
    const { accounts, loyalty, profiles } = server.container.storage;
    const a = (await accounts.findByEmail(ann))!;
    expect(a.passwordHash).toBe(bcryptHash);
    expect(a.emailVerified).toBe(true);
    expect(await loyalty.findMember(a.id)).toMatchObject({ memberNumber: '79927398713', balance: 120, lifetimePoints: 500 });
    expect((await profiles.find(a.id)).fields.given_name?.value).toBe('Ann');
    const z = (await accounts.findByEmail(zoe.normalize('NFC')))!;
    const member = (await loyalty.findMember(z.id))!;
    expect(member.memberNumber).not.toBe('79927398714');
    expect(member.balance).toBe(5);
    expect(await loyalty.sumEntries(z.id)).toBe(5);
  });

  test('imported members sign in with their old password and their hash becomes argon2id', async () => {
    const { accounts } = server.container.storage;
    for (const email of [ann, zoe.normalize('NFC')]) {
      expect((await attempt(email, 'not the password')).status).toBe(400);
      expect((await attempt(email, PASSWORD)).url.startsWith(REDIRECT_URI)).toBe(true);
      expect((await accounts.findByEmail(email))!.passwordHash).toMatch(/^\$argon2id\$/);
      expect((await attempt(email, PASSWORD)).url.startsWith(REDIRECT_URI)).toBe(true);
    }
  });

  test('a re-run changes nothing, and never puts back a hash a member has since upgraded', async () => {
    const { accounts, loyalty } = server.container.storage;
    const upgraded = (await accounts.findByEmail(ann))!.passwordHash;
    const again = await runImport(file, env);
    expect(again.code).toBe(0);
    expect(again.stdout.trim()).toBe('imported 0, updated 0, rejected 5');
    const a = (await accounts.findByEmail(ann))!;
    expect(a.passwordHash).toBe(upgraded);
    expect(await loyalty.findMember(a.id)).toMatchObject({ balance: 120, lifetimePoints: 500 });
    expect(await loyalty.sumEntries(a.id)).toBe(120);
  }, 150_000);

  test('a changed row counts as updated; other points for an imported member are refused for that row', async () => {
    const changed = join(dataDir, 'changed.ndjson');
    writeFileSync(changed, [
      line({ email: dan, email_verified: true, password_hash: `md5$salt$${'0'.repeat(32)}`, given_name: 'Dan' }),
      line({ email: ann, email_verified: true, password_hash: bcryptHash, points_balance: 999 }),
    ].join('\n') + '\n');
    const run = await runImport(changed, env);
    expect(run.stdout.trim()).toBe('imported 0, updated 1, rejected 1');
    expect(run.stderr).toContain('line 2: points_balance: already imported with other points');
    const { accounts, loyalty, profiles } = server.container.storage;
    const d = (await accounts.findByEmail(dan))!;
    expect((await profiles.find(d.id)).fields.given_name?.value).toBe('Dan');
    expect((await loyalty.findMember((await accounts.findByEmail(ann))!.id))?.balance).toBe(120);
  }, 150_000);

  test('a file that is not UTF-8 stops at that line; the rows before it are imported', async () => {
    const bad = join(dataDir, 'latin1.ndjson');
    const good = line({ email: `before.latin1.${tag}@example.com`, email_verified: true, password_hash: bcryptHash });
    writeFileSync(bad, Buffer.concat([Buffer.from(`${good}\n`), Buffer.from(`{"email":"caf\xe9.${tag}@example.com"}\n`, 'latin1')]));
    const run = await runImport(bad, env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('line 2: not UTF-8');
    expect(run.stdout.trim()).toBe('imported 1, updated 0, rejected 0');
    expect(await server.container.storage.accounts.findByEmail(`before.latin1.${tag}@example.com`)).toBeDefined();
  }, 150_000);

  test('a file cut off mid-line stops with a report of what was imported', async () => {
    const cut = join(dataDir, 'cut.ndjson');
    const good = line({ email: `before.cut.${tag}@example.com`, email_verified: true, password_hash: bcryptHash });
    writeFileSync(cut, `${good}\n${line({ email: `after.cut.${tag}@example.com`, email_verified: true, password_hash: bcryptHash }).slice(0, 40)}`);
    const run = await runImport(cut, env);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('line 2: the file ends mid-line (truncated?)');
    expect(run.stdout.trim()).toBe('imported 1, updated 0, rejected 0');
  }, 150_000);
});
