// GET /admin/members/duplicates (issue 21 item 1): staff see pairs of members that look like one person, with the
// reason (a verified phone that is another member's card contact, the same name + birthdate + postcode whatever the
// case, accents and spacing, a claimed card that is another member's number); look-alikes that differ, erased and
// merged members, and callers without a token do not.
import { randomInt } from 'node:crypto';
import { uniquePhone } from '../../support/phone.ts';
import { uniqueEmail } from '../../support/member.ts';
import { startTestServer, STORES, type TestServer } from '../../support/test-server.ts';
import { allowFerretDbTime } from '../../support/ferretdb-timeout.ts';
import { adminCaller } from './admin-api.ts';

interface Pair { members: [string, string]; reasons: string[] }

describe.each(STORES)('admin API: likely duplicate members (%s)', (store) => {
  if (store === 'mongo') allowFerretDbTime();
  let server: TestServer;
  let token = '';
  const call = adminCaller(() => server, () => token);

  async function member(fields: Record<string, string> = {}): Promise<string> {
    const { storage, loyalty } = server.container;
    const account = await storage.accounts.create({ email: uniqueEmail('dup'), emailVerified: true, passwordHash: null });
    await loyalty.ensureMember(account.id);
    if (Object.keys(fields).length > 0) await storage.profiles.update(account.id, { values: fields }, new Date());
    return account.id;
  }

  async function claimCard(accountId: string, cardNumber: string, phone: string | null): Promise<void> {
    const { importedMembers } = server.container.storage;
    await importedMembers.importMany([{ cardNumber, name: 'Old Card', email: null, phone, balance: 0 }]);
    expect((await importedMembers.claim(cardNumber, accountId)).ok).toBe(true);
  }

  /** Every page, following `next`: the pairs of the whole store. */
  async function allPairs(limit = 100): Promise<Pair[]> {
    const pairs: Pair[] = [];
    let cursor: string | null = '';
    for (let pages = 0; cursor !== null && pages < 50; pages += 1) {
      const result = await call('GET', `/admin/members/duplicates?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`);
      expect(result.status).toBe(200);
      const body = result.body as unknown as { items: Pair[]; next: string | null };
      pairs.push(...body.items);
      cursor = body.next;
    }
    return pairs;
  }

  const sorted = (a: string, b: string): [string, string] => (a < b ? [a, b] : [b, a]);
  const expected: Pair[] = [];
  const loners: string[] = [];

  beforeAll(async () => {
    server = await startTestServer({ store });
    token = await server.adminToken();
    // Phone: one signed up by email and claimed a card whose contact is a mobile; the other proved that mobile.
    const phone = uniquePhone();
    const byEmail = await member();
    const byPhone = await member();
    await server.container.storage.accounts.setPhone(byPhone, phone);
    await claimCard(byEmail, `7${String(randomInt(10 ** 11)).padStart(11, '0')}`, phone);
    expected.push({ members: sorted(byEmail, byPhone), reasons: ['phone'] });
    // A verified phone nobody else's card carries, and a claimed card with another number: no pair.
    const ownPhone = await member();
    await server.container.storage.accounts.setPhone(ownPhone, uniquePhone());
    const otherCard = await member();
    await claimCard(otherCard, `8${String(randomInt(10 ** 11)).padStart(11, '0')}`, uniquePhone());
    loners.push(ownPhone, otherCard);

    // Name + birthdate + postcode, whatever the case, accents and spacing.
    const first = await member({ given_name: 'José', family_name: 'Núñez  García', birthdate: '1984-03-07', 'address.postal_code': 'SW1A 1AA' });
    const second = await member({ given_name: ' jose', family_name: 'NUNEZ garcia ', birthdate: '1984-03-07', 'address.postal_code': 'sw1a1aa' });
    expected.push({ members: sorted(first, second), reasons: ['name_birthdate_postcode'] });
    // The same name and birthdate elsewhere, the same name and postcode another day, and no postcode at all: no pair.
    loners.push(
      await member({ given_name: 'José', family_name: 'Núñez García', birthdate: '1984-03-07', 'address.postal_code': 'M1 1AE' }),
      await member({ given_name: 'José', family_name: 'Núñez García', birthdate: '1984-03-08', 'address.postal_code': 'SW1A 1AA' }),
      await member({ given_name: 'José', family_name: 'Núñez García', birthdate: '1984-03-07' }),
    );

    // Card: a claimed card number that is another member's number (an imported member kept it).
    const numbered = await member();
    const numberOf = (await server.container.loyalty.ensureMember(numbered)).memberNumber;
    const claimer = await member();
    await claimCard(claimer, numberOf, null);
    expected.push({ members: sorted(numbered, claimer), reasons: ['card'] });

    // An erased member is never listed, though its twin is still there.
    const twin = await member({ given_name: 'Erin', family_name: 'Gone', birthdate: '1990-12-01', 'address.postal_code': '75001' });
    const erased = await member({ given_name: 'Erin', family_name: 'Gone', birthdate: '1990-12-01', 'address.postal_code': '75001' });
    expect((await call('DELETE', `/admin/members/${erased}?grace=none`)).status).toBe(204);
    loners.push(twin);

    // A pair already merged is one member: neither the survivor nor the tombstone is listed for it.
    const survivor = await member({ given_name: 'Mia', family_name: 'Merged', birthdate: '1975-05-05', 'address.postal_code': '1010' });
    const absorbed = await member({ given_name: 'Mia', family_name: 'Merged', birthdate: '1975-05-05', 'address.postal_code': '1010' });
    const merged = await server.container.merges.merge({
      survivorId: survivor, absorbedId: absorbed, proof: { method: 'identity_document', reference: 'test' }, initiatedBy: { kind: 'staff', staffId: 'test' }, reason: 'duplicate',
    });
    expect(merged.status).toBe('merged');
    loners.push(survivor, absorbed);
  });
  afterAll(async () => server?.close());

  test('each reason is found, and only the real look-alikes are listed', async () => {
    const pairs = await allPairs();
    const byKey = (pair: Pair) => pair.members.join(' ');
    expect(pairs.map((pair) => ({ members: pair.members, reasons: [...pair.reasons].sort() })).sort((a, b) => byKey(a).localeCompare(byKey(b))))
      .toEqual([...expected].sort((a, b) => byKey(a).localeCompare(byKey(b))));
    const listed = new Set(pairs.flatMap((pair) => pair.members));
    for (const loner of loners) expect(listed.has(loner)).toBe(false);
  });

  test('small pages follow the cursor to the same pairs', async () => {
    const pairs = await allPairs(1);
    expect(pairs.map((pair) => pair.members.join(' ')).sort()).toEqual(expected.map((pair) => pair.members.join(' ')).sort());
  });

  test('a bad limit or a cursor this list did not return is refused', async () => {
    expect((await call('GET', '/admin/members/duplicates?limit=0')).status).toBe(400);
    expect((await call('GET', '/admin/members/duplicates?limit=101')).status).toBe(400);
    expect((await call('GET', `/admin/members/duplicates?cursor=${Buffer.from('n:x').toString('base64url')}`)).status).toBe(400);
    expect((await call('GET', '/admin/members/duplicates?what=1')).status).toBe(400);
  });

  test('without a token the list is refused', async () => {
    expect((await call('GET', '/admin/members/duplicates', undefined, { authorization: '' })).status).toBe(401);
  });
});
