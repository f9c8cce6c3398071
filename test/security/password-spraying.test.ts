// Threat: password spraying — one common password tried against many real accounts, a few per address from
// many addresses, so neither the per-address stuffing rule nor the burst rule (mostly unknown emails) sees it.
// Detected by counting the distinct real accounts a password (a keyed hash of it) fails for: past the
// threshold, sign-ins on unrecognised devices need the bot challenge, as in a stuffing burst.
import { hashPassword } from '../../server/domain/accounts/password-hasher.ts';
import { STORES } from '../support/test-server.ts';
import { useMemberServer } from '../support/suite.ts';
import { attempt, browserFrom, hasChallenge, loginPage, member, PASSWORD, passwordAccepted, uniqueEmail } from '../support/attack.ts';

/** Real members, made in the store directly: the attack, not their sign-ups, is under test. */
async function realAccounts(fx: ReturnType<typeof useMemberServer>, count: number, prefix: string): Promise<string[]> {
  const passwordHash = await hashPassword(PASSWORD);
  const emails: string[] = [];
  for (let i = 0; i < count; i += 1) {
    const email = uniqueEmail(prefix);
    await fx.server.container.storage.accounts.create({ email, emailVerified: true, passwordHash });
    emails.push(email);
  }
  return emails;
}

describe.each(STORES)('password spraying (%s)', (store) => {
  // The real thresholds (the shared test server relaxes them): 5 emails per address for stuffing, 20 accounts per password.
  const fx = useMemberServer(store, { TRUST_PROXY: 'true', STUFFING_ACCOUNTS_PER_IP: '5', SPRAY_ACCOUNTS_PER_PASSWORD: '20' });

  test('120 failures of one password over 120 real accounts, 4 from each of 30 addresses, turn the challenge on for unrecognised devices', async () => {
    const { email, ua } = await member(fx, 'sprayed-owner', '192.0.2.150');
    const victims = await realAccounts(fx, 120, 'sprayed');
    const sprayed = 'Summer2026!';
    for (let address = 0; address < 30; address += 1) {
      for (let n = 0; n < 4; n += 1) {
        const page = await attempt(fx, browserFrom(fx, `198.18.7.${address + 1}`), victims[address * 4 + n]!, sprayed);
        // Each failure is the ordinary wrong-password answer; once flagged, the next need the challenge first.
        expect([400, 403]).toContain(page.status);
      }
      // 19 accounts (under the threshold) are not yet an attack.
      if (address === 3) expect(hasChallenge(await loginPage(fx, browserFrom(fx, '192.0.2.151')))).toBe(false);
    }
    const stranger = browserFrom(fx, '192.0.2.152');
    expect(hasChallenge(await loginPage(fx, stranger))).toBe(true);
    expect((await attempt(fx, stranger, email, PASSWORD)).status).toBe(403);
    // The member's own browser is not affected.
    expect(passwordAccepted(await attempt(fx, ua, email, PASSWORD))).toBe(true);
  });
});

describe.each(STORES)('different wrong passwords over many real accounts are not spraying (%s)', (store) => {
  const fx = useMemberServer(store, { TRUST_PROXY: 'true', STUFFING_ACCOUNTS_PER_IP: '5', SPRAY_ACCOUNTS_PER_PASSWORD: '20' });

  test('40 members mistyping their own passwords from 10 addresses raise nothing', async () => {
    const members = await realAccounts(fx, 40, 'typist');
    for (let i = 0; i < 40; i += 1) {
      expect((await attempt(fx, browserFrom(fx, `198.18.8.${(i % 10) + 1}`), members[i]!, `typo ${i} of ${PASSWORD}`)).status).toBe(400);
    }
    expect(hasChallenge(await loginPage(fx, browserFrom(fx, '192.0.2.160')))).toBe(false);
  });
});
