// Apple's form_post answer: a replayed or redirected post, a second post over the first, a code in the URL and a secret signed with another key sign no one in.
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { connectApple, followBack, postToCallback, throughApple, useAppleFederation } from '../support/apple.ts';
import { STORES } from '../support/test-server.ts';
import { UserAgent } from '../support/user-agent.ts';

const FAILED = 'couldn&#39;t sign you in with the other service';

describe.each(STORES)('apple form_post threats (%s)', (store) => {
  const apple = useAppleFederation(store);
  const { fx, team } = apple;

  const member = () => {
    const sub = `a-${randomUUID()}`;
    const email = `apple.${randomUUID()}@example.com`;
    fx.accounts.set(sub, { email, email_verified: 'true' });
    return { sub, email };
  };

  test('a replayed form post (the same answer again) is refused once the state is spent', async () => {
    const { sub } = member();
    const post = await throughApple(fx, apple.connectionId, sub);
    const back = await followBack(post, await postToCallback(fx, post));
    expect(back.url).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
    expect((await postToCallback(fx, post)).status).toBe(400);
  });

  test('a form post to another connection\'s callback is refused (mix-up)', async () => {
    const other = await connectApple(fx, team, { name: 'Apple two' });
    const { sub, email } = member();
    const post = await throughApple(fx, apple.connectionId, sub);
    const misrouted = await new UserAgent(fx.server.url).request(post.action.replace(apple.connectionId, other), { form: post.fields });
    expect(misrouted.status).toBe(400);
    expect(await fx.server.container.storage.accounts.findByEmail(email)).toBeUndefined();
  });

  test('a second post for the same state cannot replace the first answer', async () => {
    const { sub, email } = member();
    const post = await throughApple(fx, apple.connectionId, sub);
    const first = await postToCallback(fx, post);
    const second = await postToCallback(fx, post, { code: 'attacker-code' });
    expect(second.status).toBe(303);
    const back = await followBack(post, first);
    expect(back.url).toMatch(/^http:\/\/127\.0\.0\.1:9\/callback\?code=/);
    expect(await fx.server.container.storage.accounts.findByEmail(email)).toBeDefined();
  });

  test('a code brought in the callback URL instead of the form post is not taken', async () => {
    const { sub, email } = member();
    const post = await throughApple(fx, apple.connectionId, sub);
    const query = new URLSearchParams({ code: post.fields.code!, state: post.fields.state! });
    const page = await post.ua.follow(`/connections/${apple.connectionId}/callback?${query}`);
    expect(page.body).toContain(FAILED);
    expect(await fx.server.container.storage.accounts.findByEmail(email)).toBeUndefined();
  });

  test('a client secret signed with another key is refused by Apple: no sign-in, no member', async () => {
    const stranger = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const forged = await connectApple(fx, team, { name: 'Apple forged', private_key: stranger });
    const { sub, email } = member();
    const post = await throughApple(fx, forged, sub);
    const page = await followBack(post, await postToCallback(fx, post));
    expect(page.body).toContain(FAILED);
    expect(await fx.server.container.storage.accounts.findByEmail(email)).toBeUndefined();
  });
});
