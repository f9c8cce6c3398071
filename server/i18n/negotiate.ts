// Picks the page language from Accept-Language (RFC 9110 quality values) among the supported locales.
import { DEFAULT_LANGUAGE, SUPPORTED_LANGUAGES } from './locales/index.ts';

// The header is attacker-controlled: bound the work done on it.
const MAX_HEADER_LENGTH = 1024;
const MAX_RANGES = 32;
const QUALITY = /^q=(0(?:\.\d{0,3})?|1(?:\.0{0,3})?)$/i;

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
        if (match?.[1]) q = Number(match[1]);
      }
      return { tag: rawTag.toLowerCase(), q, order };
    })
    .filter((range) => range.tag !== '' && range.q > 0)
    .sort((a, b) => b.q - a.q || a.order - b.order);
}

function match(tag: string): string | undefined {
  const exact = SUPPORTED_LANGUAGES.find((lang) => lang.toLowerCase() === tag);
  if (exact) return exact;
  // fr-CA → fr; and pt → pt-BR when only a regional variant is supported.
  const primary = tag.split('-')[0];
  return SUPPORTED_LANGUAGES.find((lang) => lang.toLowerCase().split('-')[0] === primary);
}

export function negotiateLanguage(acceptLanguage: string | undefined): string {
  if (!acceptLanguage) return DEFAULT_LANGUAGE;
  for (const { tag } of parse(acceptLanguage)) {
    if (tag === '*') return DEFAULT_LANGUAGE;
    const found = match(tag);
    if (found) return found;
  }
  return DEFAULT_LANGUAGE;
}
