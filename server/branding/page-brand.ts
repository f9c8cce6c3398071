// What a page shows of the operator's branding, in the page language: set once at boot from BRANDING_FILE
// (like the default language), read by every render, so no template or handler passes it around.
import { createHash } from 'node:crypto';
import { translator } from '../i18n/messages.ts';
import { type Branding, inLanguage, NO_BRANDING } from './branding-file.ts';

export interface PageBrand {
  /** The program's name in the page language (the catalogue's when the file names none). */
  name: string;
  logoUrl: string | null;
  /** The colour stylesheet, when the file sets colours. */
  themeUrl: string | null;
  homeUrl: string | null;
  supportUrl: string | null;
  privacyUrl: string | null;
  termsUrl: string | null;
}

const version = (body: string | Buffer) => createHash('sha256').update(body).digest('base64url').slice(0, 12);

/** The colours as CSS custom properties, scoped to the branded parts (links keep the default, contrast-checked colour). */
export function themeStylesheet(branding: Branding): string | null {
  if (!branding.colours) return null;
  const { primary, onPrimary } = branding.colours;
  return [
    '/* Operator colours from BRANDING_FILE (contrast checked at boot). */',
    `.site-header, .button-primary { --primary: ${primary}; --primary-hover: ${primary}; --on-primary: ${onPrimary}; }`,
    '.site-header { background: var(--primary); color: var(--on-primary); }',
    '',
  ].join('\n');
}

let current: Branding = NO_BRANDING;
let logoUrl: string | null = null;
let themeUrl: string | null = null;

export function setBranding(branding: Branding): void {
  current = branding;
  logoUrl = branding.logo ? `/branding/logo?v=${version(branding.logo.body)}` : null;
  const theme = themeStylesheet(branding);
  themeUrl = theme ? `/branding/theme.css?v=${version(theme)}` : null;
}

export function currentBranding(): Branding {
  return current;
}

export function pageBrand(lang: string): PageBrand {
  return {
    name: inLanguage(current.programName, lang) ?? translator(lang)('common.site_name'),
    logoUrl,
    themeUrl,
    homeUrl: current.homeUrl ?? null,
    supportUrl: inLanguage(current.supportUrl, lang) ?? null,
    privacyUrl: inLanguage(current.privacyUrl, lang) ?? null,
    termsUrl: inLanguage(current.termsUrl, lang) ?? null,
  };
}
