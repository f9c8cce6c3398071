// Message lookup and ICU MessageFormat formatting (plurals, numbers, dates through Intl), falling back to English.
import { IntlMessageFormat } from 'intl-messageformat';
import type { Formatters } from 'intl-messageformat';
import { catalogues, english, getDefaultLanguage, intlLocale, SOURCE_LANGUAGE } from './locales/index.ts';
import type englishCatalogue from './locales/en.json';

/**
 * Every id English has, read by the compiler from the catalogue itself (a type-only import: nothing is loaded
 * at run time), so an id used in code that en.json lacks is a type error without a generated file to keep.
 */
export type MessageId = keyof typeof englishCatalogue;
export type MessageParams = Record<string, string | number | Date>;
/** What templates receive as `t`: ids can be dynamic there (e.g. an error id chosen by the server). */
export type Translate = (id: string, params?: MessageParams) => string;

// Compiled once per (language, id): parsing is the expensive part, formatting is cheap.
const compiled = new Map<string, IntlMessageFormat>();

/**
 * Intl formatters shared by every message, cached by locale and options. Numbers are grouped from four
 * digits in every language ("1 234" points in Polish too, where CLDR would start at five), so a balance
 * reads the same way on every page.
 */
function cachedFormatters(): Formatters {
  const cache = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat | Intl.PluralRules>();
  const key = (kind: string, locales: unknown, options: unknown) => `${kind}\u0000${JSON.stringify(locales)}\u0000${JSON.stringify(options ?? {})}`;
  function cached<T extends Intl.NumberFormat | Intl.DateTimeFormat | Intl.PluralRules>(id: string, make: () => T): T {
    let found = cache.get(id) as T | undefined;
    if (!found) {
      found = make();
      cache.set(id, found);
    }
    return found;
  }
  return {
    getNumberFormat: (locales, options) => cached(key('n', locales, options), () => new Intl.NumberFormat(locales, { useGrouping: 'always', ...options } as Intl.NumberFormatOptions)),
    getDateTimeFormat: (locales, options) => cached(key('d', locales, options), () => new Intl.DateTimeFormat(locales, options)),
    getPluralRules: (locales, options) => cached(key('p', locales, options), () => new Intl.PluralRules(locales, options)),
  };
}

const formatters = cachedFormatters();

// Object.hasOwn, not `in` or plain indexing: an id such as 'constructor' must not reach Object.prototype.
export function hasMessage(id: string): id is MessageId {
  return Object.hasOwn(english, id);
}

export function isSupportedLanguage(lang: string): boolean {
  return catalogues.has(lang);
}

function formatterFor(language: string, id: MessageId): IntlMessageFormat {
  const key = `${language}\u0000${id}`;
  let format = compiled.get(key);
  if (!format) {
    const own = catalogues.get(language);
    // A missing translation falls back to English text (server/i18n/catalogue.test.ts makes that a test failure).
    const translated = own && Object.hasOwn(own, id) ? own[id] : undefined;
    const source = translated ?? english[id] ?? id;
    // ignoreTag: '<' in copy is text, never a rich-text tag.
    format = new IntlMessageFormat(source, intlLocale(translated === undefined ? SOURCE_LANGUAGE : language), undefined, { ignoreTag: true, formatters });
    compiled.set(key, format);
  }
  return format;
}

export function translate(lang: string, id: MessageId, params?: MessageParams): string {
  if (!hasMessage(id)) return id;
  const language = isSupportedLanguage(lang) ? lang : getDefaultLanguage();
  const format = formatterFor(language, id);
  try {
    const out = format.format<string>(params);
    return Array.isArray(out) ? out.join('') : String(out);
  } catch {
    // A value the caller forgot: show the message with its placeholders rather than fail the page.
    return catalogues.get(language)?.[id] ?? english[id] ?? id;
  }
}

/** The `t` templates get: bound to one language, accepting any string (unknown ids come back unchanged). */
export function translator(lang: string): Translate {
  return (id, params) => (hasMessage(id) ? translate(lang, id, params) : id);
}
