// Browser and operating system of a session or device in words (from its user agent, by bowser), and its
// country's name in the page language (Intl.DisplayNames): what a member recognises in the session list.
import Bowser from 'bowser';

export interface DeviceWords {
  /** "Firefox 128", or null when the user agent names no browser we know. */
  browser: string | null;
  /** "Windows 10", "iOS 17.1", or null. */
  os: string | null;
}

const MAX_USER_AGENT = 512;

export function describeUserAgent(userAgent: string | null): DeviceWords {
  if (!userAgent) return { browser: null, os: null };
  const parsed = Bowser.parse(userAgent.slice(0, MAX_USER_AGENT));
  const major = parsed.browser.version?.split('.')[0];
  const browser = parsed.browser.name ? [parsed.browser.name, major].filter(Boolean).join(' ') : null;
  const osVersion = parsed.os.versionName ?? parsed.os.version;
  const os = parsed.os.name ? [parsed.os.name, osVersion].filter(Boolean).join(' ') : null;
  return { browser, os };
}

const names = new Map<string, Intl.DisplayNames>();

/** The country's name in `language` ("Royaume-Uni" for GB in French); null for no or an unknown code. */
export function countryName(country: string | null, language: string): string | null {
  if (!country || !/^[A-Z]{2}$/.test(country)) return null;
  let display = names.get(language);
  if (!display) {
    display = new Intl.DisplayNames([language], { type: 'region', fallback: 'none' });
    names.set(language, display);
  }
  return display.of(country) ?? null;
}
