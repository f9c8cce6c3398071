// BRANDING_FILE: the operator's program name, logo, colours and links, validated once at boot. A bad file
// stops the boot naming the file and the field, so a typo never reaches members as a broken page.
import { readFileSync, statSync } from 'node:fs';
import { dirname, extname, resolve } from 'node:path';
import { z } from 'zod';
import { SUPPORTED_LANGUAGES } from '../i18n/locales/index.ts';
import { contrastRatio, MIN_TEXT_CONTRAST } from './contrast.ts';

/** Big enough for any sensible header logo; a multi-megabyte file would be sent with every first page. */
export const MAX_LOGO_BYTES = 100 * 1024;

export interface BrandLogo {
  body: Buffer;
  type: 'image/png' | 'image/svg+xml';
}

/** A value written once, or per page language with a `default` for the others. */
export interface Localised {
  default: string;
  [tag: string]: string;
}

export interface Branding {
  /** Undefined: the catalogue's `common.site_name` in the page language. */
  programName: Localised | undefined;
  logo: BrandLogo | undefined;
  colours: { primary: string; onPrimary: string } | undefined;
  homeUrl: string | undefined;
  supportUrl: Localised | undefined;
  privacyUrl: Localised | undefined;
  termsUrl: Localised | undefined;
}

export const NO_BRANDING: Branding = Object.freeze({
  programName: undefined, logo: undefined, colours: undefined, homeUrl: undefined, supportUrl: undefined, privacyUrl: undefined, termsUrl: undefined,
});

const colour = z.string().regex(/^#[0-9a-fA-F]{6}$/, 'must be #rrggbb').transform((value) => value.toLowerCase());

const httpsUrl = z.string().max(2048, 'must be at most 2048 characters').refine((value) => {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' && !url.username && !url.password;
  } catch {
    return false;
  }
}, 'must be an https URL');

/** Either one value for every language, or `{ "default": ..., "es": ..., ... }` keyed by catalogue tags. */
function localised(value: z.ZodType<string>) {
  const languages = z.record(z.string(), value).superRefine((record, ctx) => {
    if (!('default' in record)) ctx.addIssue({ code: 'custom', message: 'needs a "default" entry' });
    for (const key of Object.keys(record)) {
      if (key !== 'default' && !SUPPORTED_LANGUAGES.includes(key)) {
        ctx.addIssue({ code: 'custom', path: [key], message: `is not a supported language (${SUPPORTED_LANGUAGES.join(', ')}, or default)` });
      }
    }
  });
  return z.union([value.transform((single): Localised => ({ default: single })), languages.transform((record) => record as Localised)]);
}

const programName = z.string().trim().min(1, 'must not be empty').max(60, 'must be at most 60 characters');

const brandingSchema = z.strictObject({
  program_name: localised(programName).optional(),
  logo: z.string().min(1, 'must be a file path').optional(),
  primary_colour: colour.optional(),
  primary_text_colour: colour.optional(),
  home_url: httpsUrl.optional(),
  support_url: localised(httpsUrl).optional(),
  privacy_url: localised(httpsUrl).optional(),
  terms_url: localised(httpsUrl).optional(),
});

export class BrandingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BrandingError';
  }
}

/** The first issue as `field: message` (field paths joined with dots), like the config errors. */
function describe(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid';
  // A value-or-per-language union reports both branches: the one of the shape the operator wrote (not
  // "expected string, received object") is the one to read.
  const nested = issue.code === 'invalid_union'
    ? (issue.errors.find((branch) => branch.length > 0 && !(branch.length === 1 && branch[0]?.code === 'invalid_type' && branch[0].path.length === 0)) ?? issue.errors[0])?.[0]
    : undefined;
  const path = [...issue.path, ...(nested?.path ?? [])].join('.');
  return `${path || '(root)'}: ${nested?.message ?? issue.message}`;
}

/** PNG by its signature; SVG by an <svg> root and no script, event handler or foreign content (belt and braces to the CSP it is served with). */
function readLogo(file: string): BrandLogo {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    throw new BrandingError(`logo: cannot read ${file}`);
  }
  if (size > MAX_LOGO_BYTES) throw new BrandingError(`logo: ${file} is ${size} bytes, more than the ${MAX_LOGO_BYTES}-byte limit`);
  const body = readFileSync(file);
  const extension = extname(file).toLowerCase();
  if (extension === '.png') {
    if (!body.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) throw new BrandingError(`logo: ${file} is not a PNG image`);
    return { body, type: 'image/png' };
  }
  if (extension === '.svg') {
    const text = body.toString('utf8');
    if (!/<svg[\s>]/i.test(text)) throw new BrandingError(`logo: ${file} is not an SVG image`);
    if (/<script|<foreignObject|\son[a-z]+\s*=|javascript:|<!ENTITY|xlink:href\s*=\s*["'](?!#)|\shref\s*=\s*["'](?!#)/i.test(text)) {
      throw new BrandingError(`logo: ${file} contains script, event handlers, entities or external references; export a plain SVG`);
    }
    return { body, type: 'image/svg+xml' };
  }
  throw new BrandingError('logo: must be a .svg or .png file');
}

/** Validates a parsed branding file; `baseDir` resolves a relative logo path (the file's own folder). */
export function parseBranding(json: unknown, baseDir: string): Branding {
  const parsed = brandingSchema.safeParse(json);
  if (!parsed.success) throw new BrandingError(describe(parsed.error));
  const raw = parsed.data;
  if (Boolean(raw.primary_colour) !== Boolean(raw.primary_text_colour)) {
    throw new BrandingError(`${raw.primary_colour ? 'primary_text_colour' : 'primary_colour'}: required with ${raw.primary_colour ? 'primary_colour' : 'primary_text_colour'}`);
  }
  let colours: Branding['colours'];
  if (raw.primary_colour && raw.primary_text_colour) {
    const ratio = contrastRatio(raw.primary_colour, raw.primary_text_colour);
    if (ratio < MIN_TEXT_CONTRAST) {
      throw new BrandingError(`primary_text_colour: contrast with primary_colour is ${ratio.toFixed(2)}:1, below the ${MIN_TEXT_CONTRAST}:1 WCAG AA minimum`);
    }
    colours = { primary: raw.primary_colour, onPrimary: raw.primary_text_colour };
  }
  return Object.freeze({
    programName: raw.program_name,
    logo: raw.logo ? readLogo(resolve(baseDir, raw.logo)) : undefined,
    colours,
    homeUrl: raw.home_url,
    supportUrl: raw.support_url,
    privacyUrl: raw.privacy_url,
    termsUrl: raw.terms_url,
  });
}

/** Reads and validates the file; every problem is a BrandingError naming the field. */
export function loadBrandingFile(file: string): Branding {
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new BrandingError((error as NodeJS.ErrnoException).code ? `cannot read the file (${(error as NodeJS.ErrnoException).code})` : 'not valid JSON');
  }
  return parseBranding(json, dirname(resolve(file)));
}

/** The value for the page language, else the default. */
export function inLanguage(value: Localised | undefined, lang: string): string | undefined {
  return value ? (value[lang] ?? value.default) : undefined;
}
