// Message lookup and {placeholder} substitution, falling back to English, then to the id itself.
import { en } from './locales/en.ts';
import { catalogues, DEFAULT_LANGUAGE } from './locales/index.ts';
import type { Catalogue } from './locales/index.ts';

export type MessageId = keyof typeof en;
export type MessageParams = Record<string, string | number>;
/** What templates receive as `t`: ids can be dynamic there (e.g. an error id chosen by the server). */
export type Translate = (id: string, params?: MessageParams) => string;

const PLACEHOLDER = /\{(\w+)\}/g;
const numberFormats = new Map<string, Intl.NumberFormat>();

// Object.hasOwn, not `in` or plain indexing: an id such as 'constructor' must not reach Object.prototype.
export function hasMessage(id: string): id is MessageId {
  return Object.hasOwn(en, id);
}

export function isSupportedLanguage(lang: string): boolean {
  return Object.hasOwn(catalogues, lang);
}

function catalogueFor(lang: string): { language: string; catalogue: Catalogue } {
  const language = isSupportedLanguage(lang) ? lang : DEFAULT_LANGUAGE;
  return { language, catalogue: catalogues[language] ?? en };
}

function formatNumber(language: string, value: number): string {
  let format = numberFormats.get(language);
  if (!format) {
    format = new Intl.NumberFormat(language);
    numberFormats.set(language, format);
  }
  return format.format(value);
}

export function translate(lang: string, id: MessageId, params?: MessageParams): string {
  if (!hasMessage(id)) return id;
  const { language, catalogue } = catalogueFor(lang);
  const template = catalogue[id] ?? en[id];
  if (!params) return template;
  return template.replace(PLACEHOLDER, (whole, name: string) => {
    if (!Object.hasOwn(params, name)) return whole;
    const value = params[name];
    if (typeof value === 'number') return formatNumber(language, value);
    return value ?? whole;
  });
}

/** The `t` templates get: bound to one language, accepting any string (unknown ids come back unchanged). */
export function translator(lang: string): Translate {
  return (id, params) => (hasMessage(id) ? translate(lang, id, params) : id);
}
