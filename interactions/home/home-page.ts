// The home page at `/` for members who type the address: the program's name, "Sign in" to the account
// pages, "Create account" and the language switcher. Nothing here needs a session or changes state.
import type { Middleware } from 'koa';
import { languageOf, switchBase } from '../../server/middleware/koa-language.ts';
import { renderView } from '../../server/views/render.ts';
import { SIGN_UP_PATH } from './sign-up-intent.ts';

export const HOME_PATHS = /^\/$/;

export function homePage(): Middleware {
  return async (ctx, next) => {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return next();
    ctx.type = 'html';
    // The page is the same for everyone but its language: let no shared cache keep one language for all.
    ctx.set('Cache-Control', 'no-store');
    ctx.body = await renderView('home/home', {
      lang: languageOf(ctx),
      switchBase: switchBase(ctx),
      signInUrl: '/account/sign-in',
      signUpUrl: SIGN_UP_PATH,
    });
  };
}
