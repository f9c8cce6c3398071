// Threat: credential stuffing — a leaked list of email/password pairs tried against many accounts, from one
// address or spread over many. Detected, it makes sign-ins on unrecognised devices pass the bot challenge
// first (for that address, or for everyone during a burst); members on their own devices are not affected.
import { STORES } from '../support/test-server.ts';
import { useMemberServer } from '../support/suite.ts';
import { attempt, browserFrom, hasChallenge, loginPage, member, PASSWORD, passwordAccepted, solve, uniqueEmail } from '../support/attack.ts';

describe.each(STORES)('credential stuffing from one address (%s)', (store) => {
  const fx = useMemberServer(store, { TRUST_PROXY: 'true', STUFFING_ACCOUNTS_PER_IP: '5' });

  test('after 5 different emails fail from one address, its sign-ins need the challenge; other addresses do not', async () => {
    const { email } = await member(fx, 'victim');
    const source = '203.0.113.40';
    for (let i = 0; i < 5; i += 1) expect((await attempt(fx, browserFrom(fx, source), uniqueEmail('leak'), 'leaked password 1')).status).toBe(400);
    const next = browserFrom(fx, source);
    // The page carries the challenge from the start, so a real member's browser solves it while they type.
    expect(hasChallenge(await loginPage(fx, next))).toBe(true);
    const refused = await attempt(fx, next, email, PASSWORD);
    expect(refused.status).toBe(403);
    expect(passwordAccepted(refused)).toBe(false);
    const solvedPage = await next.submit(refused, '/login', { email, password: PASSWORD, ...solve(refused) });
    expect(passwordAccepted(solvedPage)).toBe(true);
    expect(hasChallenge(await loginPage(fx, browserFrom(fx, '203.0.113.41')))).toBe(false);
  });

  test('the same email failing five times is brute force, not stuffing: no challenge for the address', async () => {
    const target = uniqueEmail('single');
    for (let i = 0; i < 5; i += 1) await attempt(fx, browserFrom(fx, '203.0.113.42'), target, `guess ${i}`);
    expect(hasChallenge(await loginPage(fx, browserFrom(fx, '203.0.113.42')))).toBe(false);
  });

  test('a member\'s known device on a flagged address signs in without the challenge', async () => {
    const source = '203.0.113.43';
    const { email, ua } = await member(fx, 'household', source);
    for (let i = 0; i < 5; i += 1) await attempt(fx, browserFrom(fx, source), uniqueEmail('leak'), 'leaked password 2');
    expect(passwordAccepted(await attempt(fx, ua, email, PASSWORD))).toBe(true);
  });
});

describe.each(STORES)('credential stuffing from many addresses (%s)', (store) => {
  const fx = useMemberServer(store, { TRUST_PROXY: 'true', STUFFING_FAILURES_PER_5_MIN: '10', STUFFING_UNKNOWN_PERCENT: '50' });

  test('a burst of failures from 10+ addresses naming mostly unknown accounts turns the challenge on for everyone', async () => {
    const { email, ua } = await member(fx, 'burst');
    expect(hasChallenge(await loginPage(fx, browserFrom(fx, '192.0.2.99')))).toBe(false);
    for (let i = 0; i < 10; i += 1) await attempt(fx, browserFrom(fx, `198.18.0.${i + 1}`), uniqueEmail('leak'), 'leaked password 3');
    const stranger = browserFrom(fx, '192.0.2.100');
    expect(hasChallenge(await loginPage(fx, stranger))).toBe(true);
    expect((await attempt(fx, stranger, email, PASSWORD)).status).toBe(403);
    // The member's own browser goes straight through.
    expect(passwordAccepted(await attempt(fx, ua, email, PASSWORD))).toBe(true);
  });
});

describe.each(STORES)('many wrong passwords for real accounts are not a stuffing burst (%s)', (store) => {
  const fx = useMemberServer(store, { TRUST_PROXY: 'true', STUFFING_FAILURES_PER_5_MIN: '10', STUFFING_UNKNOWN_PERCENT: '50' });

  test('failures naming existing accounts (typos of members) do not trigger the burst rule', async () => {
    const members = [];
    for (let i = 0; i < 4; i += 1) members.push(await member(fx, `typo${i}`));
    for (let i = 0; i < 12; i += 1) await attempt(fx, browserFrom(fx, `198.18.1.${i + 1}`), members[i % 4]!.email, 'typo');
    expect(hasChallenge(await loginPage(fx, browserFrom(fx, '192.0.2.101')))).toBe(false);
  });
});
