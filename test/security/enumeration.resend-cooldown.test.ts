// Threat: finding out who is a member by asking twice for a code within the resend wait. Before, a member's
// address or number answered "Wait a little" the second time and a stranger's "we sent a code" again. Now a
// stranger's gets a code too (kept, sent nowhere), so the forgot-password, emailed-code and SMS-code answers,
// first and second, are the same page, status and header/cookie shape whether or not anyone has them.
import { maskEmail } from '../../server/domain/accounts/email-address.ts';
import { maskPhone } from '../../server/domain/accounts/phone-number.ts';
import { followLink, openLoginPage, signUpAndVerify, uniqueEmail, UserAgent } from '../support/member.ts';
import { authorizationRequest } from '../support/oidc-client.ts';
import { memberWithPhone, uniquePhone } from '../support/phone.ts';
import { useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';
import { findForm, type Page } from '../support/user-agent.ts';

type Flow = { link: string; action: string; field: string; mask: (value: string) => string };

const FLOWS: Record<'forgot password' | 'emailed code' | 'SMS code', Flow> = {
  'forgot password': { link: '/forgot', action: '/forgot', field: 'email', mask: maskEmail },
  'emailed code': { link: '/code', action: '/code', field: 'email', mask: maskEmail },
  'SMS code': { link: '/code/sms', action: '/code/sms', field: 'phone', mask: maskPhone },
};

/** What a client sees of one answer: status, where it leads, header and cookie names, the page (identifier, masks and tokens normalised). */
interface Answer {
  status: number;
  location: string | null;
  headers: string[];
  cookies: string[];
  page: { status: number; body: string };
}

describe.each(STORES)('asking twice within the resend wait (%s)', (store) => {
  const fx = useMemberServer(store, { CODE_RESEND_COOLDOWN_SECONDS: '60' });

  function normalise(text: string, value: string, flow: Flow): string {
    return text
      .replaceAll(value, 'VALUE')
      .replaceAll(flow.mask(value), 'MASKED')
      .replace(/\/interaction\/[^/"?]+/g, '/interaction/UID')
      .replace(/(value|data-csrf)="[A-Za-z0-9_-]{20,}"/g, '$1="TOKEN"');
  }

  async function answer(ua: UserAgent, form: Page, flow: Flow, value: string): Promise<Answer> {
    const { action, hidden } = findForm(form.body, flow.action);
    const target = new URL(action, form.url).href;
    const response = await ua.request(target, { form: { ...hidden, [flow.field]: value } });
    const page = await ua.follow(response.headers.get('location') ?? response.url);
    return {
      status: response.status,
      location: response.headers.get('location')?.replace(/\/interaction\/[^/]+/, '/interaction/UID') ?? null,
      headers: [...response.headers.keys()].sort(),
      cookies: response.headers.getSetCookie().map((line) => line.split('=')[0]!).sort(),
      page: { status: page.status, body: normalise(page.body, value, flow) },
    };
  }

  /** Opens the flow's request form in a fresh browser and submits `value` twice (the second within the wait). */
  async function askTwice(flow: Flow, value: string): Promise<[Answer, Answer]> {
    const ua = new UserAgent(fx.server.url);
    const login = await openLoginPage(ua, (await authorizationRequest(fx.config)).url);
    const form = flow.link === '/code/sms' ? await followLink(ua, await followLink(ua, login, '/code'), '/code/sms') : await followLink(ua, login, flow.link);
    const first = await answer(ua, form, flow, value);
    const second = await answer(ua, form, flow, value);
    return [first, second];
  }

  async function emailMember(prefix: string): Promise<string> {
    const email = uniqueEmail(prefix);
    const ua = new UserAgent(fx.server.url);
    await signUpAndVerify(ua, await openLoginPage(ua, (await authorizationRequest(fx.config)).url), fx.sink, email);
    return email;
  }

  test.each(Object.keys(FLOWS) as Array<keyof typeof FLOWS>)('%s: a member and a stranger get the same answers, first and second', async (name) => {
    const flow = FLOWS[name];
    const known = flow.field === 'phone' ? (await memberWithPhone(fx, 'cooldown-phone')).phone : await emailMember('cooldown-known');
    const unknown = flow.field === 'phone' ? uniquePhone() : uniqueEmail('cooldown-unknown');
    const [knownFirst, knownSecond] = await askTwice(flow, known);
    const [unknownFirst, unknownSecond] = await askTwice(flow, unknown);
    expect(unknownFirst).toEqual(knownFirst);
    expect(unknownSecond).toEqual(knownSecond);
    // The second ask within the wait sent nothing more: the member has the sign-up (or number) code and one
    // code from the first ask; the stranger's codes went nowhere.
    await fx.server.container.deliveries.drain();
    const sink = flow.field === 'phone' ? fx.sms : fx.sink;
    expect(sink.countFor(known)).toBe(2);
    expect(sink.countFor(unknown)).toBe(0);
    expect(knownSecond.page.body).toContain('Wait a little');
  });

  test('sign-up: a member\'s address and a new one get the same answers, first and second', async () => {
    const flow: Flow = { link: '/register', action: '/register', field: 'email', mask: maskEmail };
    const known = await emailMember('cooldown-signup-known');
    const unknown = uniqueEmail('cooldown-signup-new');
    const signUpTwice = async (email: string) => {
      const ua = new UserAgent(fx.server.url);
      const form = await followLink(ua, await openLoginPage(ua, (await authorizationRequest(fx.config)).url), '/register');
      const { action, hidden } = findForm(form.body, '/register');
      const post = (email: string) => ua.request(new URL(action, form.url).href, { form: { ...hidden, email, password: 'correct horse battery staple' } });
      const answers: Answer[] = [];
      for (let i = 0; i < 2; i += 1) {
        const response = await post(email);
        const page = await ua.follow(response.headers.get('location') ?? response.url);
        answers.push({
          status: response.status,
          location: response.headers.get('location')?.replace(/\/interaction\/[^/]+/, '/interaction/UID') ?? null,
          headers: [...response.headers.keys()].sort(),
          cookies: response.headers.getSetCookie().map((line) => line.split('=')[0]!).sort(),
          page: { status: page.status, body: normalise(page.body, email, flow) },
        });
      }
      return answers;
    };
    const [knownFirst, knownSecond] = await signUpTwice(known);
    const [unknownFirst, unknownSecond] = await signUpTwice(unknown);
    expect(unknownFirst).toEqual(knownFirst);
    expect(unknownSecond).toEqual(knownSecond);
    expect(knownSecond!.page.body).toContain('Wait a little');
    // The member was told once (the second sign-up within the wait mailed nothing), the new address got one code.
    await fx.server.container.deliveries.drain();
    expect(fx.sink.countFor(known)).toBe(2);
    expect(fx.sink.countFor(unknown)).toBe(1);
  });
});
