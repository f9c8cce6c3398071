// The phone field's country list: each of the program's countries named in the page language with its
// calling code, which one is preselected, and an example number of that country for the hint.
import examples from 'libphonenumber-js/mobile/examples';
import { getCountryCallingCode, getExampleNumber, type CountryCode } from 'libphonenumber-js/max';

export interface PhoneCountryOption {
  /** ISO 3166-1 alpha-2, upper case: the value the form posts. */
  code: string;
  /** "México (+52)" on a Spanish page, "Mexique (+52)" on a French one. */
  label: string;
  selected: boolean;
}

export interface PhoneCountryChoice {
  options: PhoneCountryOption[];
  /** The preselected (or posted) country. */
  selected: string;
  /** A mobile number of that country as its people write it ("55 1234 5678" in MX): the field's hint. */
  example: string;
}

/**
 * Page languages whose bare tag names no country of the program. Spanish pages are es-419 with es-MX as
 * the default Spanish (issue 15), so a bare "es" is Mexico, not Spain (what Intl.Locale#maximize says).
 */
const LANGUAGE_REGION: Readonly<Record<string, string>> = { es: 'MX' };

/** The country a page language points to: its own region (pt-BR → BR), else its likely one (fr → FR, pl → PL). */
export function languageRegion(lang: string): string | undefined {
  if (LANGUAGE_REGION[lang]) return LANGUAGE_REGION[lang];
  try {
    return new Intl.Locale(lang).maximize().region;
  } catch {
    return undefined;
  }
}

/**
 * Preselected country: the request's country when it is one of the program's (a Spanish speaker in Bogotá
 * gets Colombia), else the page language's (es → MX, pt-BR → BR, fr → FR, pl → PL), else the configured
 * default (SMS_DEFAULT_COUNTRY), else the first of SMS_COUNTRIES (English pages, usually).
 */
export function preselectedCountry(countries: readonly string[], lang: string, requestCountry: string | undefined, configured: string | undefined): string {
  const region = languageRegion(lang);
  for (const candidate of [requestCountry, region, configured]) {
    if (candidate && countries.includes(candidate)) return candidate;
  }
  return countries[0] ?? 'MX';
}

/** "55 1234 5678": the national form, as the member would type it with their country selected. */
export function exampleNumber(country: string): string {
  return getExampleNumber(country as CountryCode, examples)?.formatNational() ?? '';
}

/** Options sorted by name in the page language (a select read by eye and by typeahead). */
export function phoneCountryChoice(countries: readonly string[], lang: string, selected: string): PhoneCountryChoice {
  const names = new Intl.DisplayNames([lang], { type: 'region', fallback: 'code' });
  const collator = new Intl.Collator(lang);
  const options = countries
    .map((code) => ({ code, label: `${names.of(code) ?? code} (+${getCountryCallingCode(code as CountryCode)})`, selected: code === selected }))
    .sort((a, b) => collator.compare(a.label, b.label));
  return { options, selected, example: exampleNumber(selected) };
}
