// Redeeming a coupon code on the account pages: a code of any partner's campaign (its single code or one of its
// generated codes) credits its points and lands on the security page with a notice; each refusal has its plain
// message; CSRF is required.
import { randomUUID } from 'node:crypto';
import type { NewCampaign, NewGeneratedCampaign } from '../../server/domain/coupons/coupons.repository.ts';
import { accountCsrf, isSecurityPage, noticeOn, signedInMember } from '../support/account.ts';
import { pointsOn } from '../support/card.ts';
import { useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';
import type { UserAgent } from '../support/user-agent.ts';

const HOUR = 3600_000;
const REDEEMED = 'Coupon redeemed. Its points are in your balance now.';
const UNKNOWN = 'This code is not valid or has expired. Check it and try again.';
const NOT_STARTED = 'This code cannot be used yet. Try again when the offer starts.';
const USED_UP = 'This code has been used as many times as the offer allows.';
const MEMBER_LIMIT = 'You have already used this code as many times as the offer allows.';
const CODE_USED = 'This code has already been used. Each code of this offer works once.';
const FORBIDDEN = 'That request was not allowed.';

describe.each(STORES)('redeeming a coupon code on the account pages (%s)', (store) => {
  const fx = useMemberServer(store);

  const campaign = async (over: Partial<NewCampaign> = {}) => {
    const input: NewCampaign = {
      partnerId: randomUUID(),
      code: `F-${randomUUID().slice(0, 8).toUpperCase()}`,
      points: 30,
      perMemberLimit: 1,
      totalLimit: 100,
      startsAt: new Date(Date.now() - HOUR),
      endsAt: new Date(Date.now() + HOUR),
      ...over,
    };
    return { ...(await fx.server.container.coupons.createCampaign(input)), code: input.code };
  };
  const generated = (over: Partial<NewGeneratedCampaign> = {}) => fx.server.container.coupons.createGeneratedCampaign({
    partnerId: randomUUID(),
    codePattern: `${randomUUID().slice(0, 4).toUpperCase()}-####-####`,
    codeCount: 3,
    points: 35,
    perMemberLimit: 1,
    totalLimit: 3,
    startsAt: new Date(Date.now() - HOUR),
    endsAt: new Date(Date.now() + HOUR),
    ...over,
  });
  const submit = async (ua: UserAgent, code: string) => ua.submit(await ua.follow('/account/coupon'), '/account/coupon', { code });

  test('a valid code credits its points and shows the notice; the security page links to the form', async () => {
    const { code } = await campaign({ points: 120, perMemberLimit: 2 });
    const { ua, accountId } = await signedInMember(fx, 'coupon-happy');
    expect((await ua.follow('/account/security')).body).toContain('href="/account/coupon"');
    const form = await ua.follow('/account/coupon');
    expect(form.body).toContain('<label for="code"');
    const done = await submit(ua, ` ${code.toLowerCase()} `);
    expect(isSecurityPage(done)).toBe(true);
    expect(done.url).toContain('notice=coupon_redeemed');
    expect(noticeOn(done)).toBe(REDEEMED);
    expect(pointsOn(done)).toBe(120);
    expect(pointsOn(await submit(ua, code))).toBe(240);
    const refused = await submit(ua, code);
    expect([refused.status, refused.body.includes(MEMBER_LIMIT)]).toEqual([400, true]);
    expect((await fx.server.container.storage.loyalty.findMember(accountId))?.balance).toBe(240);
  });

  test('unknown, expired, not started and used-up codes each get their message and no points', async () => {
    const expired = await campaign({ startsAt: new Date(Date.now() - 2 * HOUR), endsAt: new Date(Date.now() - HOUR) });
    const later = await campaign({ startsAt: new Date(Date.now() + HOUR), endsAt: new Date(Date.now() + 2 * HOUR) });
    const single = await campaign({ totalLimit: 1 });
    const first = await signedInMember(fx, 'coupon-first');
    expect(isSecurityPage(await submit(first.ua, single.code))).toBe(true);
    const { ua, accountId } = await signedInMember(fx, 'coupon-sad');
    for (const [code, message] of [['NO-SUCH-CODE', UNKNOWN], ['x', UNKNOWN], [expired.code, UNKNOWN], [later.code, NOT_STARTED], [single.code, USED_UP]] as const) {
      const page = await submit(ua, code);
      expect([code, page.status, page.body.includes(message)]).toEqual([code, 400, true]);
    }
    expect((await fx.server.container.storage.loyalty.findMember(accountId))?.balance ?? 0).toBe(0);
  });

  test('no CSRF token, or one of another session: 403 and no points', async () => {
    const { code } = await campaign();
    const victim = await signedInMember(fx, 'coupon-victim');
    const attacker = await signedInMember(fx, 'coupon-attacker');
    const attackerToken = accountCsrf(await attacker.ua.follow('/account/coupon'));
    const victimToken = accountCsrf(await victim.ua.follow('/account/coupon'));
    for (const form of [{}, { csrf: attackerToken }] as Array<Record<string, string>>) {
      const posted = await victim.ua.request('/account/coupon', { form: { ...form, code } });
      expect([posted.status, posted.body.includes(FORBIDDEN)]).toEqual([403, true]);
    }
    const crossSite = await victim.ua.request('/account/coupon', { form: { csrf: victimToken, code }, headers: { origin: 'https://evil.example' } });
    expect(crossSite.status).toBe(403);
    expect((await fx.server.container.storage.loyalty.findMember(victim.accountId))?.balance ?? 0).toBe(0);
  });

  test('a generated code of any partner works once, typed in any case; a used one says so; an ended campaign\'s codes are unknown', async () => {
    const { campaign, codes } = await generated({ perMemberLimit: 2 });
    const first = await signedInMember(fx, 'coupon-generated');
    const done = await submit(first.ua, codes[0]!.toLowerCase());
    expect([isSecurityPage(done), noticeOn(done), pointsOn(done)]).toEqual([true, REDEEMED, 35]);
    const again = await submit(first.ua, codes[0]!);
    expect([again.status, again.body.includes(CODE_USED)]).toEqual([400, true]);
    const second = await signedInMember(fx, 'coupon-generated-2');
    const taken = await submit(second.ua, codes[0]!);
    expect([taken.status, taken.body.includes(CODE_USED)]).toEqual([400, true]);
    expect(pointsOn(await submit(second.ua, codes[1]!))).toBe(35);

    await fx.server.container.coupons.end(campaign.partnerId, campaign.id);
    const ended = await submit(second.ua, codes[2]!);
    expect([ended.status, ended.body.includes(UNKNOWN)]).toEqual([400, true]);
    expect((await fx.server.container.storage.loyalty.findMember(second.accountId))?.balance).toBe(35);
    expect((await fx.server.container.coupons.listCodes(campaign.id, { limit: 10 })).filter((code) => code.usedAt).length).toBe(2);
  });
});
