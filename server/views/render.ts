// Renders the hosted pages (EJS under views/) with helpers bound to the request's language.
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ejs from 'ejs';
import { pageBrand } from '../branding/page-brand.ts';
import { formatDuration } from '../i18n/format-duration.ts';
import { languageName, SUPPORTED_LANGUAGES } from '../i18n/locales/index.ts';
import { hasMessage, translator } from '../i18n/messages.ts';

export interface PageLocals {
  lang: string;
  csrfToken?: string;
  requestId?: string;
  /** The switcher's link prefix (koa-language.ts switchBase), e.g. '/interaction/abc?lang='. */
  switchBase?: string;
  /** Signed-in pages: the switcher is a POST form that also saves the member's choice. */
  languageForm?: { action: string; csrfToken: string; hiddenFields?: { name: string; value: string }[] } | null;
  [k: string]: unknown;
}

export interface LanguageLink {
  tag: string;
  /** The language's name in itself ("français"), so a member who cannot read the page finds theirs. */
  name: string;
  href: string;
  current: boolean;
}

/** One entry per supported language, for views/partials/footer.ejs. */
export function languageLinks(current: string, base = '?lang='): LanguageLink[] {
  return SUPPORTED_LANGUAGES.map((tag) => ({ tag, name: languageName(tag), href: `${base}${encodeURIComponent(tag)}`, current: tag === current }));
}

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * Sources: server/views → <repo>/views. Build: dist/server/views → dist/views (copied by the build);
 * if the copy is missing, fall back to <repo>/views rather than fail on the first page.
 */
function findViewsDir(): string {
  const candidates = [path.resolve(here, '../../views'), path.resolve(here, '../../../views')];
  const found = candidates.find((dir) => existsSync(path.join(dir, 'partials', 'head.ejs')));
  if (!found) throw new Error(`views directory not found (looked in ${candidates.join(', ')})`);
  return found;
}

export const VIEWS_DIR = findViewsDir();

// 'login/login', 'errors/error': one flow folder and one page, nothing that could climb out of views/.
const VIEW_NAME = /^[a-z0-9]+(?:-[a-z0-9]+)*\/[a-z0-9]+(?:-[a-z0-9]+)*$/;

/** "<page title> – <program name>", from the page's `titleId` (a message id). */
export function pageTitle(lang: string, titleId: string): string {
  return `${translator(lang)(titleId)} – ${pageBrand(lang).name}`;
}

/** Only http(s) links from client metadata become hrefs: a `javascript:` URI would run in our origin. */
export function safeHref(url: unknown): string | null {
  if (typeof url !== 'string') return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : null;
  } catch {
    return null;
  }
}

/** `root` is for tests only (a test page under test/fixtures/views); pages always render from VIEWS_DIR. */
export async function renderView(view: string, locals: PageLocals, root: string = VIEWS_DIR): Promise<string> {
  if (!VIEW_NAME.test(view)) throw new Error(`invalid view name: ${view}`);
  const { lang } = locals;
  const data = {
    ...locals,
    // Helpers last so page data can never replace them.
    t: translator(lang),
    hasMessage,
    pageTitle: (titleId: string) => pageTitle(lang, titleId),
    formatDuration: (seconds: number) => formatDuration(lang, seconds),
    safeHref,
    languages: languageLinks(lang, locals.switchBase),
    languageForm: locals.languageForm ?? null,
    // The operator's name, logo, colours and links in this language (server/branding, BRANDING_FILE).
    brand: pageBrand(lang),
    signOutForm: locals.signOutForm ?? null,
    wayBack: locals.wayBack ?? null,
  };
  return ejs.renderFile(path.join(root, `${view}.ejs`), data, {
    // Always cached: compiling a template cost more than rendering it (a third of a sign-in page's CPU outside
    // production, profiled under bench/sign-in-throughput), and nothing reloads code without a restart anyway.
    cache: true,
    async: false,
  });
}
