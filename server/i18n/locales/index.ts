// The registry of supported locales: a new language is its catalogue file plus one entry in `catalogues`.
import { en } from './en.ts';

/** A translation: any subset of the English ids; missing ones fall back to English. */
export type Catalogue = { readonly [K in keyof typeof en]?: string };

export const DEFAULT_LANGUAGE = 'en';

// Keys are BCP 47 tags as sent in <html lang> (e.g. 'fr', 'pt-BR').
export const catalogues: Readonly<Record<string, Catalogue>> = { en };

export const SUPPORTED_LANGUAGES: readonly string[] = Object.freeze(Object.keys(catalogues));
