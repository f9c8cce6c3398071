// The switcher's links stay on our origin and never reflect request parameters; ?lang= only counts on GET.
import type { Context } from 'koa';
import { pickLanguage, switchBase } from './koa-language.ts';

function fakeContext(method: string, path: string, query: Record<string, string> = {}, cookies: Record<string, string> = {}) {
  const set: Array<[string, string]> = [];
  const ctx = {
    method,
    path,
    query,
    state: {} as Record<string, unknown>,
    get: () => '',
    cookies: { get: (name: string) => cookies[name], set: (name: string, value: string) => set.push([name, value]) },
  };
  return { ctx: ctx as unknown as Context, set, state: ctx.state };
}

describe('switchBase', () => {
  it.each([
    ['GET', '/interaction/abc', '/interaction/abc?lang='],
    ['GET', '/session/end', '/session/end?lang='],
    ['POST', '/interaction/abc/login', '/interaction/abc?lang='],
    ['POST', '/account/phone/verify', '/account/security?lang='],
    ['GET', '//evil.example/x', '/evil.example/x?lang='],
  ])('%s %s → %s', (method, path, expected) => {
    expect(switchBase(fakeContext(method, path).ctx)).toBe(expected);
  });
});

describe('pickLanguage', () => {
  const middleware = pickLanguage(false, async () => null);

  it('a GET with a supported ?lang= sets the cookie', async () => {
    const { ctx, set, state } = fakeContext('GET', '/interaction/abc', { lang: 'pt-br' });
    await middleware(ctx, async () => undefined);
    expect(set).toEqual([['lang', 'pt-BR']]);
    expect(state.pickedLanguage).toBe('pt-BR');
  });

  it('ignores ?lang= on a POST and unsupported values, and reads a valid cookie only', async () => {
    for (const [method, query, cookie, picked] of [['POST', { lang: 'fr' }, undefined, undefined], ['GET', { lang: 'de' }, 'pl', 'pl'], ['GET', {}, '<x>', undefined]] as const) {
      const { ctx, set, state } = fakeContext(method, '/x', { ...query }, cookie ? { lang: cookie } : {});
      await middleware(ctx, async () => undefined);
      expect(set).toEqual([]);
      expect(state.pickedLanguage).toBe(picked);
    }
  });
});
