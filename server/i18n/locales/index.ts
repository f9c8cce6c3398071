// The registry of supported locales: every <tag>.json in this folder is one language (en.json is the source).
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** A catalogue: message id → ICU MessageFormat string. */
export type Catalogue = Readonly<Record<string, string>>;

/** English is the source every other catalogue translates, and what a missing message falls back to. */
export const SOURCE_LANGUAGE = 'en';

/** Sources: server/i18n/locales; build: dist/server/i18n/locales (scripts/copy-assets.mjs copies the JSON). */
export const LOCALES_DIR = path.dirname(fileURLToPath(import.meta.url));

const catalogueSchema = z.record(z.string(), z.string());

/**
 * Reads every <tag>.json at boot. The file name is the BCP 47 tag sent in <html lang> and matched against
 * ui_locales and Accept-Language, so it must be canonical ('pt-BR', not 'pt_br'): a bad file stops the boot.
 */
function loadCatalogues(dir: string): Map<string, Catalogue> {
  const found = new Map<string, Catalogue>();
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.json')).sort()) {
    const tag = file.slice(0, -'.json'.length);
    let canonical: string | undefined;
    try {
      canonical = Intl.getCanonicalLocales(tag)[0];
    } catch {
      canonical = undefined;
    }
    if (canonical !== tag) throw new Error(`locale file ${file}: the name must be a canonical BCP 47 tag (${canonical ?? 'invalid'})`);
    const parsed = catalogueSchema.safeParse(JSON.parse(readFileSync(path.join(dir, file), 'utf8')));
    if (!parsed.success) throw new Error(`locale file ${file}: a flat object of message id → string is expected`);
    found.set(tag, Object.freeze(parsed.data));
  }
  if (!found.has(SOURCE_LANGUAGE)) throw new Error(`locale file ${SOURCE_LANGUAGE}.json is missing from ${dir}`);
  return found;
}

export const catalogues: ReadonlyMap<string, Catalogue> = loadCatalogues(LOCALES_DIR);

/** English first, then the others in file-name order (the language switcher shows them in this order). */
export const SUPPORTED_LANGUAGES: readonly string[] = Object.freeze([
  SOURCE_LANGUAGE,
  ...[...catalogues.keys()].filter((tag) => tag !== SOURCE_LANGUAGE),
]);

export const english: Catalogue = catalogues.get(SOURCE_LANGUAGE) ?? {};

/**
 * The Intl locale that writes numbers and dates for a catalogue, when it is not the tag itself. Spanish is
 * served as one catalogue, `es`, written for Latin America: its numbers and dates follow es-419 ("1,234"),
 * not Spain's es ("1234", "1.234"). A new language needs an entry only for the same kind of choice.
 */
const INTL_LOCALES: Readonly<Record<string, string>> = { es: 'es-419' };

export function intlLocale(tag: string): string {
  return INTL_LOCALES[tag] ?? tag;
}

let defaultLanguage = SOURCE_LANGUAGE;

/** DEFAULT_LOCALE, set once at boot (config/schema.ts has already checked it is supported). */
export function setDefaultLanguage(tag: string): void {
  if (!catalogues.has(tag)) throw new Error(`DEFAULT_LOCALE ${tag} has no catalogue (supported: ${SUPPORTED_LANGUAGES.join(', ')})`);
  defaultLanguage = tag;
}

/** The language when nothing else chose one. */
export function getDefaultLanguage(): string {
  return defaultLanguage;
}

/** The name of each language in itself, for the switcher: a member who cannot read the page still finds theirs. */
export function languageName(tag: string): string {
  let name = languageNames.get(tag);
  if (name === undefined) {
    name = nameInItself(tag);
    // Only supported tags come here (the switcher's list), so the memo stays five entries long.
    languageNames.set(tag, name);
  }
  return name;
}

/** Intl.DisplayNames construction costs more than a page render's other helpers: once per tag, not per page. */
const languageNames = new Map<string, string>();

function nameInItself(tag: string): string {
  try {
    const name = new Intl.DisplayNames([tag], { type: 'language' }).of(tag) ?? tag;
    return name.charAt(0).toLocaleUpperCase(tag) + name.slice(1);
  } catch {
    return tag;
  }
}
