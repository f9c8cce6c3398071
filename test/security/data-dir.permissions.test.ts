// Data at rest: DATA_DIR is 0700 and the files in it 0600 (SQLite database, WAL, shared memory, dev secrets,
// outboxes) whatever the umask, older world-readable ones are tightened at boot, and a client secret is not
// in clear anywhere in the SQLite files (sealed under the key-encryption key).
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../config/index.ts';
import { followLink, openLoginPage, uniqueEmail, UserAgent } from '../support/member.ts';
import { authorizationRequest, discover, registerClient } from '../support/oidc-client.ts';
import { startTestServer, STORES, type TestServer } from '../support/test-server.ts';
import { adminCaller } from '../protocol/admin/admin-api.ts';

const modeOf = (path: string) => statSync(path).mode & 0o777;
const SQLITE_FILES = ['idp.sqlite', 'idp.sqlite-wal', 'idp.sqlite-shm'];

let umask: number;
const parents: string[] = [];
beforeAll(() => {
  // The modes must not depend on the umask: with none at all, plain creation would give 0777/0666.
  umask = process.umask(0o000);
});
afterAll(() => {
  process.umask(umask);
  for (const dir of parents) rmSync(dir, { recursive: true, force: true });
});

/** A DATA_DIR that already exists, world-readable, as a deployment's mkdir would leave it. */
function openDataDir(): string {
  const parent = mkdtempSync(join(tmpdir(), 'idp-perm-'));
  parents.push(parent);
  const dataDir = join(parent, 'data');
  mkdirSync(dataDir, { mode: 0o755 });
  chmodSync(dataDir, 0o755);
  return dataDir;
}

/** Signs up through the hosted pages, which mails a code: without SMTP_URL it lands in the dev outbox. */
async function mailSomething(server: TestServer): Promise<void> {
  const client = await registerClient(server, { first_party: true });
  const ua = new UserAgent(server.url);
  const login = await openLoginPage(ua, (await authorizationRequest(await discover(server, client))).url);
  const register = await followLink(ua, login, '/register');
  const verify = await ua.submit(register, '/register', { email: uniqueEmail('perm'), password: 'correct horse battery staple' });
  expect(verify.url).toMatch(/\/verify$/);
}

describe.each(STORES)('DATA_DIR and its files are private (%s)', (store) => {
  test('after boot and use: the directory 0700, every file in it 0600', async () => {
    const dataDir = openDataDir();
    const server = await startTestServer({ store, dataDir, env: { SMTP_URL: '' } });
    try {
      await mailSomething(server);
      expect(modeOf(dataDir)).toBe(0o700);
      const outbox = join(dataDir, 'outbox.jsonl');
      expect(existsSync(outbox)).toBe(true);
      expect(modeOf(outbox)).toBe(0o600);
      if (store === 'sqlite') for (const file of SQLITE_FILES) expect([file, modeOf(join(dataDir, file))]).toEqual([file, 0o600]);
    } finally {
      await server.close();
    }
  });

  test('files an older version left world-readable are tightened at the next boot', async () => {
    const dataDir = openDataDir();
    const first = await startTestServer({ store, dataDir, env: { SMTP_URL: '' } });
    await mailSomething(first);
    await first.close();
    const present = [...(store === 'sqlite' ? SQLITE_FILES : []), 'outbox.jsonl'].map((file) => join(dataDir, file)).filter((file) => existsSync(file));
    for (const file of present) chmodSync(file, 0o644);
    chmodSync(dataDir, 0o755);
    const second = await startTestServer({ store, dataDir, env: { SMTP_URL: '' } });
    try {
      await mailSomething(second);
      expect(modeOf(dataDir)).toBe(0o700);
      for (const file of present) expect([file, modeOf(file)]).toEqual([file, 0o600]);
    } finally {
      await second.close();
    }
  });

  test('development secrets are written 0600 in a 0700 directory', () => {
    const dataDir = openDataDir();
    const config = loadConfig({ NODE_ENV: 'development', DATA_DIR: dataDir, ISSUER: 'http://localhost:3000' });
    expect(config.keyEncryptionKey).toHaveLength(32);
    expect(modeOf(dataDir)).toBe(0o700);
    expect(modeOf(join(dataDir, 'dev-secrets.json'))).toBe(0o600);
  });
});

describe('client secrets are not in clear in the SQLite files (sqlite)', () => {
  test('a created and a rotated secret appear in neither the database nor its WAL; the client still authenticates', async () => {
    const dataDir = openDataDir();
    const server = await startTestServer({ store: 'sqlite', dataDir });
    try {
      const token = await server.adminToken();
      const admin = adminCaller(() => server, () => token);
      const created = await admin('POST', '/admin/clients', { client_name: 'Sealed', grant_types: ['client_credentials'], scope: 'openid' });
      expect(created.status).toBe(201);
      const clientId = created.body!.client_id!;
      const rotated = await admin('POST', `/admin/clients/${clientId}/secret`);
      const secrets = [created.body!.client_secret!, rotated.body!.client_secret!, 'test-admin-secret-0123456789abcdef'];
      const bytes = SQLITE_FILES.filter((file) => existsSync(join(dataDir, file))).map((file) => readFileSync(join(dataDir, file)).toString('latin1')).join('\n');
      expect(bytes).toContain(clientId);
      for (const secret of secrets) expect(bytes).not.toContain(secret);
      const basic = Buffer.from(`${clientId}:${rotated.body!.client_secret!}`).toString('base64');
      const tokenResponse = await fetch(`${server.url}/token`, {
        method: 'POST',
        headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: 'grant_type=client_credentials&scope=openid',
      });
      expect(tokenResponse.status).toBe(200);
    } finally {
      await server.close();
    }
  });
});
