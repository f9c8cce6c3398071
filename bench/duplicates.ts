// Duplicate-detection benchmark (issue 21 item 1): seeds MEMBERS members on the embedded store (names, birthdates
// and postcodes drawn from small pools so real look-alikes occur, plus planted phone and card pairs), then lists
// every likely duplicate pair page by page, as GET /admin/members/duplicates does, and reports the time per page
// and per member. Usage: npm run bench:duplicates   (options: MEMBERS, STORE_DIR to use a file instead of memory)
import { randomInt } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { openSqliteStorage } from '../adapters/sqlite/index.ts';
import { DuplicateMembers } from '../server/domain/staff/duplicate-members.ts';

const MEMBERS = Number(process.env.MEMBERS ?? 10_000);
const PLANTED = Math.max(1, Math.floor(MEMBERS / 100));
const GIVEN = ['Ana', 'José', 'Marie', 'Jan', 'Olga', 'Tom', 'Lucía', 'Piotr', 'Chloé', 'João'];
const FAMILY = ['Silva', 'Núñez', 'Kowalski', 'Martin', 'Smith', 'García', 'Nowak', 'Dubois', 'Souza', 'Brown'];

const storage = await openSqliteStorage({ dataDir: process.env.STORE_DIR ?? ':memory:' });
const started = performance.now();
const ids: string[] = [];
for (let i = 0; i < MEMBERS; i += 1) {
  const account = await storage.accounts.create({ email: `bench.${i}@example.com`, emailVerified: true, passwordHash: null });
  ids.push(account.id);
  await storage.loyalty.createMember({ accountId: account.id, memberNumber: String(10_000_000_000 + i), enrolmentChannel: 'web' });
  const day = new Date(Date.UTC(1950, 0, 1) + randomInt(20_000) * 86_400_000).toISOString().slice(0, 10);
  await storage.profiles.update(account.id, { values: { given_name: GIVEN[randomInt(GIVEN.length)]!, family_name: FAMILY[randomInt(FAMILY.length)]!, birthdate: day, 'address.postal_code': `${randomInt(100)}00` } }, new Date());
}
// Planted pairs: a verified phone that is another member's claimed card contact, a card that is a member number, and
// the same name + birthdate + postcode written differently.
for (let i = 0; i < PLANTED; i += 1) {
  const phone = `+4479${String(10_000_000 + i).padStart(8, '0')}`;
  await storage.accounts.setPhone(ids[2 * i]!, phone);
  const card = `77${String(i).padStart(10, '0')}`;
  await storage.importedMembers.importMany([{ cardNumber: card, name: 'Old Card', email: null, phone, balance: 0 }]);
  await storage.importedMembers.claim(card, ids[2 * i + 1]!);
  const numbered = String(10_000_000_000 + (MEMBERS - 1 - i));
  await storage.importedMembers.importMany([{ cardNumber: numbered, name: 'Old Card', email: null, phone: null, balance: 0 }]);
  await storage.importedMembers.claim(numbered, ids[2 * i + 3]!);
  // A look-alike: another member typed the same person with other case, accents and spacing.
  await storage.profiles.update(ids[MEMBERS - 1 - 2 * i]!, { values: { given_name: 'ZOË ', family_name: ' van  Dijk', birthdate: `1970-01-${String(1 + (i % 28)).padStart(2, '0')}`, 'address.postal_code': `ab${i}` } }, new Date());
  await storage.profiles.update(ids[MEMBERS - 2 - 2 * i]!, { values: { given_name: 'zoe', family_name: 'Van Dijk', birthdate: `1970-01-${String(1 + (i % 28)).padStart(2, '0')}`, 'address.postal_code': `AB ${i}` } }, new Date());
}
const seeded = performance.now();

const detector = new DuplicateMembers({ duplicates: storage.duplicates, accounts: storage.accounts, loyalty: storage.loyalty });
const reasons = new Map<string, number>();
let pages = 0;
let slowest = 0;
let cursor: string | undefined;
const listing = performance.now();
for (;;) {
  const before = performance.now();
  const page = await detector.list({ limit: 100, ...(cursor ? { cursor } : {}) });
  slowest = Math.max(slowest, performance.now() - before);
  pages += 1;
  for (const pair of page.pairs) for (const reason of pair.reasons) reasons.set(reason, (reasons.get(reason) ?? 0) + 1);
  if (!page.next) break;
  cursor = page.next;
}
const listed = performance.now() - listing;
console.log(JSON.stringify({
  members: MEMBERS,
  seed_s: Number(((seeded - started) / 1000).toFixed(1)),
  pages,
  list_ms: Math.round(listed),
  per_member_us: Math.round((listed * 1000) / MEMBERS),
  slowest_page_ms: Math.round(slowest),
  pairs_by_reason: Object.fromEntries(reasons),
}));
await storage.close();
