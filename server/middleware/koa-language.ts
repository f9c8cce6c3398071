// The language picked on the page (the switcher's ?lang=), kept in a cookie; and the page language of a request.
import type { Context, Middleware } from 'koa';
import { chooseLanguage, matchLanguage } from '../i18n/negotiate.ts';
import { withRequestLanguage } from '../i18n/request-language.ts';

/** The member's saved `locale` (ProfileService.locale). */
export type SavedLocaleLookup = (accountId: string) => Promise<string | null>;

const MAX_AGE_MS = 400 * 24 * 60 * 60 * 1000;
const PICK_PARAM = 'lang';

/** __Host- in production: no Domain, Path=/, Secure, so no subdomain or plain-http page can plant one. */
export function languageCookieName(secure: boolean): string {
  return secure ? '__Host-lang' : 'lang';
}

/** Remembers a picked language in this browser (not a secret: httpOnly only because no script needs it). */
export function setLanguageCookie(ctx: Context, tag: string): void {
  const state = ctx.state as LanguageState;
  const secure = state.languageCookieSecure ?? true;
  ctx.cookies.set(languageCookieName(secure), tag, { httpOnly: true, sameSite: 'lax', secure, path: '/', maxAge: MAX_AGE_MS, signed: false, overwrite: true });
  state.pickedLanguage = tag;
}

/**
 * A GET or HEAD with ?lang=<supported> sets the preference cookie (its only effect: no state changes on GET);
 * every request gets ctx.state.pickedLanguage from that parameter or the cookie.
 */
export function pickLanguage(secure: boolean, savedLocale: SavedLocaleLookup): Middleware {
  const name = languageCookieName(secure);
  return async (ctx, next) => {
    (ctx.state as LanguageState).languageCookieSecure = secure;
    const param = ctx.method === 'GET' || ctx.method === 'HEAD' ? ctx.query[PICK_PARAM] : undefined;
    const fromParam = typeof param === 'string' ? matchLanguage(param) : undefined;
    if (fromParam) setLanguageCookie(ctx, fromParam);
    const cookie = ctx.cookies.get(name, { signed: false });
    ctx.state.pickedLanguage = fromParam ?? (cookie ? matchLanguage(cookie) : undefined);
    // Emails and texts built while serving this request go out in its page language (request-language.ts).
    await withRequestLanguage(() => resolveLanguage(ctx, savedLocale), next);
  };
}

interface LanguageState {
  languageCookieSecure?: boolean;
  pickedLanguage?: string;
  interaction?: { params?: { ui_locales?: unknown }; session?: { accountId?: unknown }; result?: { login?: { accountId?: unknown } } };
  member?: { account: { id: string } };
  /** The saved locale of the member this request is for, once looked up (resolveLanguage). */
  savedLanguage?: string | null;
  savedLanguageOf?: string;
}

/**
 * The page language with the member's saved locale counted once we know who they are: the account pages'
 * member, or the interaction's signed-in account (after sign-in: second factor, profile, consent).
 */
export async function resolveLanguage(ctx: Context, savedLocale: SavedLocaleLookup): Promise<string> {
  const state = ctx.state as LanguageState;
  const accountId = state.member?.account.id ?? state.interaction?.session?.accountId ?? state.interaction?.result?.login?.accountId;
  if (typeof accountId === 'string' && state.savedLanguageOf !== accountId) {
    state.savedLanguage = await savedLocale(accountId);
    state.savedLanguageOf = accountId;
  }
  return languageOf(ctx);
}

/** The page language of this request, in the order of the language rules (README, "Languages"). */
export function languageOf(ctx: Context, extra: { uiLocales?: unknown; saved?: string | null } = {}): string {
  const state = ctx.state as LanguageState;
  return chooseLanguage({
    uiLocales: extra.uiLocales ?? state.interaction?.params?.ui_locales,
    saved: extra.saved ?? state.savedLanguage,
    picked: state.pickedLanguage,
    acceptLanguage: ctx.get('accept-language'),
  });
}

/**
 * Where the switcher's links point: this page or, after a POST, the GET page of the same flow (a POST-only
 * URL would answer 404). The query is dropped: reflecting it would put request parameters (a refused
 * redirect URI, say) into links on our page. Always a same-origin path (leading slashes collapsed).
 */
export function switchBase(ctx: Context): string {
  let pathname = `/${ctx.path.replace(/^\/+/, '')}`;
  if (ctx.method !== 'GET' && ctx.method !== 'HEAD') {
    const uid = /^\/interaction\/([^/]+)/.exec(pathname)?.[1];
    if (uid) pathname = `/interaction/${uid}`;
    else if (/^\/account(?:\/|$)/i.test(pathname)) pathname = '/account/security';
  }
  return `${pathname}?${PICK_PARAM}=`;
}
