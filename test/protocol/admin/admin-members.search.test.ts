// GET /admin/members?q= (issue 20): support finds members by exact email, phone (E.164 or the local form),
// member number or the start of a name, with paging; regex, wildcard and operator characters are literal.
import { uniquePhone } from '../../support/phone.ts';
import { uniqueEmail } from '../../support/member.ts';
import { startTestServer, STORES, type TestServer } from '../../support/test-server.ts';
import { allowFerretDbTime } from '../../support/ferretdb-timeout.ts';
import { adminCaller } from './admin-api.ts';

interface SearchBody {
  items: { sub: string; email: string; member_number: string | null; given_name: string | null; family_name: string | null }[];
  next: string | null;
  matched_by: string;
  error?: string;
}

describe.each(STORES)('admin API: member search (%s)', (store) => {
  if (store === 'mongo') allowFerretDbTime();
  let server: TestServer;
  let token = '';
  const call = adminCaller(() => server, () => token);
  const search = async (q: string, extra = '') => {
    const result = await call('GET', `/admin/members?q=${encodeURIComponent(q)}${extra}`);
    return { status: result.status, body: result.body as unknown as SearchBody };
  };
  /** A prefix no other file or test shares: names are unique per run. */
  const tag = `Zq${process.pid % 1000}x`;
  const members: Record<string, { id: string; email: string; number: string; phone: string }> = {};

  async function member(key: string, givenName: string, familyName: string | null = null) {
    const { storage, loyalty } = server.container;
    const email = uniqueEmail(key);
    const account = await storage.accounts.create({ email, emailVerified: true, passwordHash: null });
    const phone = uniquePhone();
    await storage.accounts.setPhone(account.id, phone);
    const enrolled = await loyalty.ensureMember(account.id);
    await storage.profiles.update(account.id, { values: { given_name: givenName, ...(familyName ? { family_name: familyName } : {}) } }, new Date());
    members[key] = { id: account.id, email, number: enrolled.memberNumber, phone };
  }

  beforeAll(async () => {
    server = await startTestServer({ store, env: { SMS_DEFAULT_COUNTRY: 'GB' } });
    token = await server.adminToken();
    await member('ana', `${tag}Ana`, 'Silva');
    await member('andre', `${tag}André`);
    await member('dotstar', `${tag}a.*b`);
    await member('percent', `${tag}50%_off`);
    await member('brien', 'Pat', `${tag}O'Brien (Jr.) [x]`);
    for (let i = 0; i < 5; i += 1) await member(`page${i}`, `${tag}Page${i}`);
  });
  afterAll(async () => server?.close());

  test('an email finds its member exactly, whatever its case and spaces', async () => {
    const { status, body } = await search(`  ${members.ana!.email.toUpperCase()} `);
    expect(status).toBe(200);
    expect(body.matched_by).toBe('email');
    expect(body.items.map((item) => item.sub)).toEqual([members.ana!.id]);
    expect(body.items[0]).toMatchObject({ given_name: `${tag}Ana`, family_name: 'Silva', member_number: members.ana!.number });
    expect((await search(members.ana!.email.replace('@', 'x@'))).body.items).toEqual([]);
  });

  test('a phone number finds its member in E.164 and in the local form', async () => {
    const e164 = members.andre!.phone;
    expect((await search(e164)).body.items.map((item) => item.sub)).toEqual([members.andre!.id]);
    const local = `0${e164.slice(3, 7)} ${e164.slice(7)}`;
    expect((await search(local)).body.items.map((item) => item.sub)).toEqual([members.andre!.id]);
  });

  test('a member number finds its member (spaces allowed)', async () => {
    const number = members.brien!.number;
    const { body } = await search(`${number.slice(0, 4)} ${number.slice(4)}`);
    expect(body.items.map((item) => item.sub)).toEqual([members.brien!.id]);
  });

  test('a name prefix finds given and family names, case-insensitively', async () => {
    const { body } = await search(`${tag.toLowerCase()}an`);
    expect(body.matched_by).toBe('name');
    expect(body.items.map((item) => item.sub).sort()).toEqual([members.ana!.id, members.andre!.id].sort());
    expect((await search(`${tag}O'Brien (Jr.) [`)).body.items.map((item) => item.sub)).toEqual([members.brien!.id]);
  });

  test.each([
    ['.*', 'a pattern matching everything'],
    ['a.*', 'a pattern the literal "a.*b" starts with but others would match too'],
    ['%', 'the SQL LIKE wildcard'],
    ['_', 'the SQL LIKE single-character wildcard'],
    ['(', 'an unbalanced group'],
    ['[', 'an unterminated class'],
    ['\\', 'a lone backslash'],
  ])('"%s" (%s) is literal', async (suffix) => {
    const { status, body } = await search(`${tag}${suffix}`);
    expect(status).toBe(200);
    const expected = suffix === 'a.*' ? [members.dotstar!.id] : [];
    expect(body.items.map((item) => item.sub)).toEqual(expected);
    expect((await search(`${tag}50%`)).body.items.map((item) => item.sub)).toEqual([members.percent!.id]);
  });

  test('operator-looking input is a string, never a query', async () => {
    for (const q of ['{"$ne":null}', '$where', '{"$regex":".*"}']) {
      const { status, body } = await search(q);
      expect([q, status, body.items]).toEqual([q, 200, []]);
    }
    // q given twice arrives as an array: refused, not spread into a filter.
    expect((await call('GET', '/admin/members?q=a&q=b')).status).toBe(400);
  });

  test('name results page with a cursor, without repeats or gaps', async () => {
    const seen: string[] = [];
    let next: string | null = null;
    let pages = 0;
    do {
      const result: { status: number; body: SearchBody } = await search(`${tag}Page`, `&limit=2${next ? `&cursor=${next}` : ''}`);
      expect(result.status).toBe(200);
      seen.push(...result.body.items.map((item) => item.sub));
      next = result.body.next;
      pages += 1;
    } while (next && pages < 10);
    expect(pages).toBe(3);
    expect(seen.sort()).toEqual([0, 1, 2, 3, 4].map((i) => members[`page${i}`]!.id).sort());
  });

  test('bad input is a clear 400', async () => {
    expect((await search('')).status).toBe(400);
    expect((await search('x'.repeat(201))).status).toBe(400);
    expect((await search('ana', '&limit=0')).status).toBe(400);
    expect((await search('ana', '&cursor=not-ours')).status).toBe(400);
    expect((await call('GET', '/admin/members')).status).toBe(400);
  });
});
