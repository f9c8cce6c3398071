// CONSENT_PURPOSES_FILE: the shipped example loads, the default catalogue stands in without one, and a wrong
// file stops the boot with a message naming the file and the field (issue 17 item 1).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_PURPOSES } from '../../config/consent-purposes.ts';
import { ConfigError, loadConfig } from '../../config/index.ts';

const EXAMPLE = fileURLToPath(new URL('../../config/consent-purposes.example.json', import.meta.url));

describe('purpose catalogue (CONSENT_PURPOSES_FILE)', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'idp-purposes-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  const withFile = (content: unknown) => {
    const file = join(dataDir, 'purposes.json');
    writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
    return () => loadConfig({ DATA_DIR: dataDir, CONSENT_PURPOSES_FILE: file });
  };
  const purpose = (overrides: Record<string, unknown> = {}) => ({ id: 'newsletter', version: 1, title: { en: 'Newsletter' }, text: { en: 'Our monthly letter.' }, ...overrides });

  test('without a file: five default purposes, none required, each in the five languages; no terms version', () => {
    const { consent } = loadConfig({ DATA_DIR: dataDir });
    expect(consent.catalogue).toBe(DEFAULT_PURPOSES);
    expect(consent.catalogue.purposes.map((p) => p.id)).toEqual(['marketing_email', 'marketing_sms', 'profiling', 'partner_sharing', 'analytics']);
    for (const p of consent.catalogue.purposes) {
      expect(p.required).toBe(false);
      expect(Object.keys(p.title).sort()).toEqual(['en', 'es', 'fr', 'pl', 'pt-BR']);
    }
    expect(consent.termsVersion).toBeUndefined();
  });

  test('the shipped example loads, with its terms changes; TERMS_VERSION and TERMS_URL are read', () => {
    const { consent } = loadConfig({ DATA_DIR: dataDir, CONSENT_PURPOSES_FILE: EXAMPLE, TERMS_VERSION: '2', TERMS_URL: 'https://example.com/terms' });
    expect(consent.catalogue.purposes).toHaveLength(5);
    expect(consent.catalogue.termsChanges['2']?.pl).toBeTruthy();
    expect(consent).toMatchObject({ termsVersion: 2, termsUrl: 'https://example.com/terms' });
    expect(() => loadConfig({ DATA_DIR: dataDir, TERMS_VERSION: 'two' })).toThrow(/TERMS_VERSION: expected a whole number/);
  });

  test.each([
    ['a marketing purpose marked required', { purposes: [purpose({ required: true })] }, /purposes\.0: a marketing purpose cannot be required/],
    ['a purpose without English text', { purposes: [purpose({ text: { es: 'Nuestra carta' } })] }, /purposes\.0\.text\.en/],
    ['a version that is not a whole number', { purposes: [purpose({ version: 1.5 })] }, /purposes\.0\.version/],
    ['the reserved id terms', { purposes: [purpose({ id: 'terms' })] }, /purposes\.0\.id: "terms" is reserved/],
    ['an id given twice', { purposes: [purpose(), purpose()] }, /a purpose id is declared twice/],
    ['an unknown field', { purposes: [purpose({ colour: 'red' })] }, /purposes\.0/],
    ['broken JSON', '{"purposes": [', /CONSENT_PURPOSES_FILE/],
  ])('%s stops the boot naming the file and the field', (_name, content, message) => {
    const load = withFile(content);
    expect(load).toThrow(ConfigError);
    expect(load).toThrow(message);
    expect(load).toThrow(/CONSENT_PURPOSES_FILE \(.*purposes\.json\)/);
  });

  test('a non-marketing purpose may be required', () => {
    const { consent } = withFile({ purposes: [purpose({ id: 'service_messages', marketing: false, required: true })] })();
    expect(consent.catalogue.purposes[0]).toMatchObject({ id: 'service_messages', required: true });
  });
});
