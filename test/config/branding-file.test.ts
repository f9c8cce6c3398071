// BRANDING_FILE: a good file gives the pages their name, logo, colours and links; every bad field stops the
// boot with a message naming the file and the field; a text colour below 4.5:1 on the primary is refused.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../config/index.ts';
import { contrastRatio } from '../../server/branding/contrast.ts';

const SVG = '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><rect width="10" height="10" fill="#c00"/></svg>';
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');

const GOOD = {
  program_name: { default: 'Acme Rewards', es: 'Acme Recompensas' },
  logo: 'logo.svg',
  primary_colour: '#7A0019',
  primary_text_colour: '#ffffff',
  home_url: 'https://acme.example/',
  support_url: 'https://acme.example/help',
  privacy_url: { default: 'https://acme.example/privacy', fr: 'https://acme.example/fr/confidentialite' },
  terms_url: { default: 'https://acme.example/terms' },
};

describe('branding file (BRANDING_FILE)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'idp-branding-'));
    writeFileSync(join(dir, 'logo.svg'), SVG);
    writeFileSync(join(dir, 'logo.png'), PNG);
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  /** Writes `content` as the branding file and loads the configuration with it. */
  function boot(content: unknown) {
    const file = join(dir, 'branding.json');
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    return loadConfig({ DATA_DIR: dir, BRANDING_FILE: file });
  }

  test('a good file: name per language with a default, the logo read from beside the file, colours, links', () => {
    const { branding } = boot(GOOD);
    expect(branding.programName).toEqual({ default: 'Acme Rewards', es: 'Acme Recompensas' });
    expect(branding.logo?.type).toBe('image/svg+xml');
    expect(branding.logo?.body.toString()).toBe(SVG);
    expect(branding.colours).toEqual({ primary: '#7a0019', onPrimary: '#ffffff' });
    expect(branding.homeUrl).toBe('https://acme.example/');
    expect(branding.supportUrl).toEqual({ default: 'https://acme.example/help' });
    expect(branding.privacyUrl).toEqual({ default: 'https://acme.example/privacy', fr: 'https://acme.example/fr/confidentialite' });
    expect(boot({ logo: 'logo.png' }).branding.logo?.type).toBe('image/png');
  });

  test('no file: the default look (no name, logo, colours or links of an operator)', () => {
    const { branding } = loadConfig({ DATA_DIR: dir });
    expect(branding).toEqual({
      programName: undefined, logo: undefined, colours: undefined, homeUrl: undefined, supportUrl: undefined, privacyUrl: undefined, termsUrl: undefined,
    });
  });

  test.each([
    ['primary_colour', { primary_colour: 'red' }, /primary_colour: must be #rrggbb/],
    ['primary_text_colour', { primary_text_colour: '#fff' }, /primary_text_colour: must be #rrggbb/],
    ['primary_text_colour missing', { primary_colour: '#7a0019', primary_text_colour: undefined }, /primary_text_colour: required with primary_colour/],
    ['home_url', { home_url: 'http://acme.example/' }, /home_url: must be an https URL/],
    ['support_url', { support_url: 'javascript:alert(1)' }, /support_url: must be an https URL/],
    ['privacy_url language', { privacy_url: { default: 'https://acme.example/p', de: 'https://acme.example/de' } }, /privacy_url\.de: is not a supported language/],
    ['privacy_url per language', { privacy_url: { default: 'https://acme.example/p', fr: 'http://acme.example/fr' } }, /privacy_url\.fr: must be an https URL/],
    ['terms_url default', { terms_url: { es: 'https://acme.example/es' } }, /terms_url: needs a "default" entry/],
    ['program_name', { program_name: '' }, /program_name: must not be empty/],
    ['program_name length', { program_name: 'x'.repeat(61) }, /program_name: must be at most 60 characters/],
    ['an unknown field', { primary_color: '#000000' }, /\(root\): Unrecognized key.*primary_color/i],
    ['logo missing', { logo: 'nope.svg' }, /logo: cannot read .*nope\.svg/],
    ['logo type', { logo: 'branding.json' }, /logo: must be a \.svg or \.png file/],
  ])('a bad %s stops the boot naming the file and the field', (_name, change, message) => {
    const file = join(dir, 'branding.json');
    expect(() => boot({ ...GOOD, ...change })).toThrow(message);
    expect(() => boot({ ...GOOD, ...change })).toThrow(`BRANDING_FILE (${file}): `);
  });

  test('a file that is not JSON, or missing, stops the boot', () => {
    expect(() => boot('{ "program_name": ')).toThrow(/BRANDING_FILE \(.*branding\.json\): not valid JSON/);
    expect(() => loadConfig({ DATA_DIR: dir, BRANDING_FILE: join(dir, 'missing.json') })).toThrow(/BRANDING_FILE \(.*missing\.json\): cannot read the file \(ENOENT\)/);
  });

  test('a text colour below 4.5:1 on the primary colour is refused with the ratio it has', () => {
    // #0b57d0 (the default blue) with white passes; light grey on white, or yellow with white, does not.
    expect(() => boot({ primary_colour: '#0b57d0', primary_text_colour: '#ffffff' })).not.toThrow();
    expect(() => boot({ primary_colour: '#ffffff', primary_text_colour: '#999999' }))
      .toThrow(/BRANDING_FILE \(.*\): primary_text_colour: contrast with primary_colour is 2\.85:1, below the 4\.5:1 WCAG AA minimum/);
    expect(() => boot({ primary_colour: '#ffd700', primary_text_colour: '#ffffff' })).toThrow(/primary_text_colour: contrast .* below the 4\.5:1/);
    expect(() => boot({ primary_colour: '#ffd700', primary_text_colour: '#000000' })).not.toThrow();
  });

  test('contrast ratios as WCAG defines them', () => {
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrastRatio('#ffffff', '#000000')).toBeCloseTo(21, 5);
    expect(contrastRatio('#777777', '#777777')).toBe(1);
    expect(contrastRatio('#767676', '#ffffff')).toBeCloseTo(4.54, 2);
  });

  test('logos: an SVG with script, event handlers or external references, a fake PNG, or one over 100 KiB is refused', () => {
    const cases: Array<[string, string | Buffer, RegExp]> = [
      ['script.svg', '<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', /logo: .*script\.svg contains script/],
      ['onload.svg', '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"></svg>', /logo: .*onload\.svg contains script/],
      ['external.svg', '<svg xmlns="http://www.w3.org/2000/svg"><image href="https://tracker.example/x.png"/></svg>', /logo: .*external\.svg contains/],
      ['foreign.svg', '<svg xmlns="http://www.w3.org/2000/svg"><foreignObject><div/></foreignObject></svg>', /contains script/],
      ['plain.svg', 'just text', /logo: .*plain\.svg is not an SVG image/],
      ['fake.png', '<svg></svg>', /logo: .*fake\.png is not a PNG image/],
      ['huge.png', Buffer.concat([PNG, Buffer.alloc(100 * 1024)]), /logo: .*huge\.png is \d+ bytes, more than the 102400-byte limit/],
    ];
    for (const [name, content, message] of cases) {
      writeFileSync(join(dir, name), content);
      expect(() => boot({ logo: name })).toThrow(message);
    }
    // Internal references (a gradient by #id) are fine.
    writeFileSync(join(dir, 'gradient.svg'), '<svg xmlns="http://www.w3.org/2000/svg"><defs><linearGradient id="g"/></defs><rect fill="url(#g)" href="#g"/></svg>');
    expect(boot({ logo: 'gradient.svg' }).branding.logo?.type).toBe('image/svg+xml');
  });
});
