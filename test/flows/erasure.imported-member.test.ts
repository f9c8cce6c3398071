// Erasing a member who came in through an import: what the old program knew and we kept beside the account (tier,
// consents with their dates, joining date, an unverified phone) goes with the account, on both stores.
import { randomInt } from 'node:crypto';
import bcrypt from 'bcryptjs';
import { allowFerretDbTime } from '../support/ferretdb-timeout.ts';
import { besidesTheAnnouncement, scanStore } from '../support/store-scan.ts';
import { STORES, startTestServer, type TestServer } from '../support/test-server.ts';

describe.each(STORES)('erasure of an imported member (%s)', (store) => {
  if (store === 'mongo') allowFerretDbTime();
  let server: TestServer;
  let token: string;

  beforeAll(async () => {
    server = await startTestServer({ store });
    token = await server.adminToken();
  });
  afterAll(async () => server?.close());

  async function admin(method: string, path: string, init: RequestInit = {}): Promise<Response> {
    return fetch(`${server.url}/admin${path}`, { ...init, method, headers: { ...init.headers, authorization: `Bearer ${token}` } });
  }

  test('leaves no row with the imported phone, the account id or the email', async () => {
    const email = `imported.erase.${store}.${process.pid}@example.com`;
    // A UK mobile number nobody else in the run uses: kept unverified, as the old program had it.
    const phone = `+4474${String(randomInt(10_000_000, 99_999_999))}`;
    const row = {
      email, email_verified: true, password_hash: bcrypt.hashSync('old password', 4), phone_number: phone, phone_verified: false,
      tier: 'gold', consents: { marketing_email: '2020-01-02' }, created_at: '2019-05-04T10:00:00Z', points_balance: 15,
    };
    const started = await admin('POST', '/imports', { headers: { 'content-type': 'application/x-ndjson' }, body: `${JSON.stringify(row)}\n` });
    expect(started.status).toBe(202);
    const { id } = (await started.json()) as { id: string };
    let state = 'running';
    while (state === 'running') {
      state = ((await (await admin('GET', `/imports/${id}`)).json()) as { state: string }).state;
      if (state === 'running') await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(state).toBe('done');
    const account = await server.container.storage.accounts.findByEmail(email);
    expect(account).toBeDefined();
    const needles = [account!.id, email, phone];
    expect((await scanStore(server, needles)).map((hit) => hit.needle)).toContain(phone);

    expect((await admin('DELETE', `/members/${account!.id}?grace=none`)).status).toBe(204);
    expect(besidesTheAnnouncement(await scanStore(server, needles))).toEqual([]);
  });
});
