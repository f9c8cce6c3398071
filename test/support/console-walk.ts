// The operator console's pages in the accessibility walk (issue 20): a staff member with an authenticator app
// signs in, finds a member, and reaches the member, partner, client, dashboard, security, audit and merge pages.
import { openLoginPage, PASSWORD } from './member.ts';
import { totpCode } from './totp.ts';
import { emailCodeStep, LOA2, mailCount, pastProfile, signedUpAt, type WalkKit } from './walk-kit.ts';

export async function operatorConsoleWalk(kit: WalkKit): Promise<void> {
  // Issue 20: a staff member with an authenticator app signs in to the console, finds a member, opens them.
  // Checked in English and Polish only (like the other pages members rarely meet): no need to walk it in the others.
  if (kit.locale !== 'en' && kit.locale !== 'pl') return;
  const ua = kit.browser();
  const { email, login } = await signedUpAt(kit, ua, await openLoginPage(ua, await kit.authorize({ acr_values: LOA2 })));
  const before = await mailCount(kit, email);
  const offer = await pastProfile(ua, await emailCodeStep(kit, ua, await ua.submit(login, '/login', { email, password: PASSWORD }), email, before));
  const enrol = await ua.submit(offer, '/mfa/enrol');
  const key = /id="manual-key">([A-Z2-7 ]+)</.exec(enrol.body)![1]!;
  await ua.submit(await ua.submit(enrol, '/mfa/enrol/confirm', { code: totpCode(key) }), '/mfa/finish');
  const { storage } = kit.fx.server.container;
  const account = await storage.accounts.findByEmail(email.toLowerCase());
  await storage.staff.setRoles(account!.id, ['owner']);
  const staff = kit.browser();
  const mfa = await staff.submit(await staff.follow('/console/sign-in'), '/login', { email, password: PASSWORD });
  const search = kit.keep('console: search', await pastProfile(staff, await staff.submit(mfa, '/mfa/app', { code: totpCode(key, Date.now() + 30_000) })));
  const results = kit.keep('console: search results', await staff.follow(`/console?q=${encodeURIComponent(email)}`));
  const href = /href="(\/console\/members\/[^"]+)"/.exec(results.body)?.[1];
  if (!href || !search.url.endsWith('/console')) throw new Error(`console walk: no member found (${search.status} ${search.url})`);
  const member = kit.keep('console: member', await staff.follow(href));
  kit.keep('console: member errors', await staff.submit(member, '/points', { points: '0', reason: '' }));
  kit.keep('console: audit log', await staff.follow(`/console/audit?member=${encodeURIComponent(email)}`));
  // Partners and clients (partner-pages.ts): the list, a partner, a client form with errors, the secret shown once, a client.
  kit.keep('console: partners', await staff.follow('/console/partners'));
  const partner = kit.keep('console: partner', await staff.submit(await staff.follow('/console/partners/new'), '/console/partners', { name: `Walk ${kit.locale}`, reason: 'Accessibility walk' }));
  const clientForm = await staff.follow(`${new URL(partner.url).pathname}/clients/new`);
  kit.keep('console: new client errors', await staff.submit(clientForm, '/clients', { client_name: 'Walk', kind: 'web', redirect_uris: 'http://walk.example/cb', reason: '' }));
  const secret = kit.keep('console: client secret', await staff.submit(clientForm, '/clients', { client_name: 'Walk', kind: 'web', redirect_uris: 'https://walk.example/cb', reason: 'Accessibility walk' }));
  kit.keep('console: client', await staff.follow(/href="(\/console\/clients\/[^"]+)"/.exec(secret.body)![1]!));
  // Issue 20 items 4 and 5: the dashboard (charts and their tables), the security page, the audit filters' errors.
  kit.keep('console: dashboard', await staff.follow('/console/dashboard?days=7'));
  kit.keep('console: security', await staff.follow('/console/security'));
  kit.keep('console: audit log errors', await staff.follow('/console/audit?ip=not-an-address&country=BRA'));
  kit.keep('console: member action errors', await staff.submit(member, '/unblock', { reason: '' }));
  const erase = kit.keep('console: erase member', await staff.follow(`${href}/erase`));
  kit.keep('console: erase member errors', await staff.submit(erase, '/erase', { confirm: 'nobody', reason: 'Member asked' }));
  // Merging a duplicate (merge-pages.ts): the form with its errors (the member itself named as the other one).
  const mergeForm = kit.keep('console: merge', await staff.follow(`${href}/merge`));
  kit.keep('console: merge errors', await staff.submit(mergeForm, '/merge/preview', { other: '', method: 'other', reference: '', reason: '' }));
  kit.keep('console: signed out', await kit.browser().follow('/console/signed-out'));
}
