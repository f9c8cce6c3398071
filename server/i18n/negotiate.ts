// Chooses the page language: ui_locales, the member's saved locale, the language picked on the page,
// Accept-Language (RFC 9110 quality values, region fallback), then DEFAULT_LOCALE.
import { getDefaultLanguage, SUPPORTED_LANGUAGES } from './locales/index.ts';

// Headers and parameters are attacker-controlled: bound the work done on them.
const MAX_HEADER_LENGTH = 1024;
const MAX_RANGES = 32;
const QUALITY = /^q=(0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/i;
// RFC 5646 shape, loosely: letters then letter/digit subtags. Anything else is not a language.
const TAG = /^[a-z]{1,8}(?:-[a-z0-9]{1,8})*$/i;

interface LanguageRange {
  tag: string;
  q: number;
  order: number;
}

function parse(header: string): LanguageRange[] {
  return header
    .slice(0, MAX_HEADER_LENGTH)
    .split(',')
    .slice(0, MAX_RANGES)
    .map((part, order) => {
      const [rawTag = '', ...params] = part.split(';').map((piece) => piece.trim());
      let q = 1;
      for (const param of params) {
        const match = QUALITY.exec(param.replace(/\s+/g, ''));
        // A malformed weight makes the range unusable rather than a silent q=1.
        q = match?.[1] ? Number(match[1]) : 0;
      }
      return { tag: rawTag.toLowerCase(), q, order };
    })
    .filter((range) => (range.tag === '*' || TAG.test(range.tag)) && range.q > 0)
    .sort((a, b) => b.q - a.q || a.order - b.order);
}

/**
 * The supported language for a tag: exact (case-insensitive), else the one sharing its primary subtag,
 * so pt-PT → pt-BR, es-AR / es-MX / es-419 → es, fr-CA → fr. Undefined when none fits.
 */
export function matchLanguage(tag: string): string | undefined {
  if (!TAG.test(tag)) return undefined;
  const lower = tag.toLowerCase();
  const exact = SUPPORTED_LANGUAGES.find((lang) => lang.toLowerCase() === lower);
  if (exact) return exact;
  const primary = lower.split('-')[0];
  return SUPPORTED_LANGUAGES.find((lang) => lang.toLowerCase().split('-')[0] === primary);
}

/** The best supported language of an Accept-Language header, or undefined (no match, `*`, malformed). */
export function fromAcceptLanguage(header: string | undefined): string | undefined {
  if (!header) return undefined;
  for (const { tag } of parse(header)) {
    if (tag === '*') return undefined;
    const found = matchLanguage(tag);
    if (found) return found;
  }
  return undefined;
}

/** ui_locales (OIDC Core 3.1.2.1): space-separated tags in order of preference; the first supported wins. */
export function fromUiLocales(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  for (const tag of value.slice(0, MAX_HEADER_LENGTH).split(/\s+/).slice(0, MAX_RANGES)) {
    const found = tag ? matchLanguage(tag) : undefined;
    if (found) return found;
  }
  return undefined;
}

export interface LanguageSources {
  /** The authorization request's ui_locales parameter. */
  uiLocales?: unknown;
  /** The member's saved `locale` profile field. */
  saved?: string | null | undefined;
  /** A language picked on the page (the switcher's ?lang= or its cookie). */
  picked?: string | null | undefined;
  acceptLanguage?: string | undefined;
}

/** The first source that names a supported language wins; unknown values fall through silently. */
export function chooseLanguage(sources: LanguageSources): string {
  return fromUiLocales(sources.uiLocales)
    ?? (sources.saved ? matchLanguage(sources.saved) : undefined)
    ?? (sources.picked ? matchLanguage(sources.picked) : undefined)
    ?? fromAcceptLanguage(sources.acceptLanguage)
    ?? getDefaultLanguage();
}

/** Accept-Language alone (pages with no interaction, member or pick), then DEFAULT_LOCALE. */
export function negotiateLanguage(acceptLanguage: string | undefined): string {
  return fromAcceptLanguage(acceptLanguage) ?? getDefaultLanguage();
}
