// Seeds a benchmark's store through the built repositories (dist/): verified members with a password hash
// (argon2id by default, or any legacy hash), each optionally on a known device, and a public client.
import { randomBytes } from 'node:crypto';

/**
 * `hashFor(password)` makes the stored hash (default: the server's argon2id). `devices`: give each member a
 * device cookie the store already knows, as a returning member has (no new-device step-up).
 */
export async function seedMembers({ dataDir, kek, count, prefix = 'member', hashFor, devices = false, ipFor = () => '203.0.113.1', parallel = 4 }) {
  const { openStorage } = await import('../../dist/adapters/index.js');
  const { hashPassword } = await import('../../dist/server/domain/accounts/password-hasher.js');
  const { generateMemberNumber } = await import('../../dist/server/domain/loyalty/member-number.js');
  const { DeviceCookie } = await import('../../dist/server/security/device-cookie.js');
  const { deriveKey } = await import('../../dist/server/security/crypto.js');
  const storage = await openStorage({ dataDir });
  const cookies = new DeviceCookie(deriveKey(kek, 'device-cookie'), false);
  const members = new Array(count);
  let next = 0;
  try {
    await Promise.all(Array.from({ length: parallel }, async () => {
      while (next < count) {
        const i = next++;
        const email = `${prefix}-${i}@bench.example`;
        const password = `${prefix} password ${i} ${randomBytes(4).toString('hex')}`;
        const passwordHash = hashFor ? await hashFor(password) : await hashPassword(password);
        const account = await storage.accounts.create({ email, emailVerified: true, passwordHash });
        await storage.loyalty.createMember({ accountId: account.id, memberNumber: generateMemberNumber(), enrolmentChannel: 'web' });
        const member = { id: account.id, email, password, passwordHash, ip: ipFor(i) };
        if (devices) {
          member.deviceId = randomBytes(16).toString('base64url');
          await storage.devices.record(account.id, cookies.hash(member.deviceId), { at: new Date(), ip: member.ip, country: null, userAgent: 'bench' });
        }
        members[i] = member;
      }
    }));
  } finally {
    await storage.close();
  }
  return members;
}

/** A first-party public client (code + PKCE), as the program's own app is. */
export async function seedPublicClient({ dataDir, id, redirectUri }) {
  const { openStorage } = await import('../../dist/adapters/index.js');
  const storage = await openStorage({ dataDir });
  try {
    await storage.clients.create({
      client_id: id, client_name: 'Bench Shop', redirect_uris: [redirectUri], grant_types: ['authorization_code'],
      response_types: ['code'], token_endpoint_auth_method: 'none', scope: 'openid', first_party: true,
    });
  } finally {
    await storage.close();
  }
}
