// Configuration: defaults, bad values named by key, production refusing unsafe defaults.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../config/index.ts';
import { DEFAULT_SMS_COUNTRIES } from '../../config/schema.ts';

describe('configuration', () => {
  let dataDir: string;
  beforeEach(() => {
    dataDir = mkdtempSync(join(tmpdir(), 'idp-config-'));
  });
  afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

  test('zero setup: defaults and a development key generated once and kept', () => {
    const config = loadConfig({ DATA_DIR: dataDir });
    expect(config.port).toBe(3000);
    expect(config.issuer).toBe('http://localhost:3000');
    expect(config.mongodbUri).toBeUndefined();
    expect(config.keyEncryptionKey).toHaveLength(32);
    const again = loadConfig({ DATA_DIR: dataDir });
    expect(again.keyEncryptionKey.equals(config.keyEncryptionKey)).toBe(true);
    expect(JSON.parse(readFileSync(join(dataDir, 'dev-secrets.json'), 'utf8')).keyEncryptionKey).toHaveLength(64);
    expect(Object.isFrozen(config)).toBe(true);
    expect(config.defaultLocale).toBe('en');
    expect(loadConfig({ DATA_DIR: dataDir, DEFAULT_LOCALE: 'pt-BR' }).defaultLocale).toBe('pt-BR');
  });

  test.each([
    ['PORT', 'eighty', /PORT: expected a port number/],
    ['PORT', '70000', /PORT: expected 0-65535/],
    ['ISSUER', 'ftp://x', /ISSUER: expected a URL/],
    ['MONGODB_URI', 'http://db', /MONGODB_URI: expected a URL starting with mongodb/],
    ['KEY_ENCRYPTION_KEY', 'short', /KEY_ENCRYPTION_KEY: expected 32 random bytes/],
    ['TRUST_PROXY', 'maybe', /TRUST_PROXY: expected true or false/],
    ['LOG_LEVEL', 'loud', /LOG_LEVEL: expected fatal/],
    ['NODE_ENV', 'staging', /NODE_ENV: expected development, test or production/],
    ['SMS_WEBHOOK_URL', 'ftp://sms.example.com', /SMS_WEBHOOK_URL: expected a URL starting with http:\/\/ or https:\/\//],
    ['SMS_WEBHOOK_SECRET', 'too-short', /SMS_WEBHOOK_SECRET: expected at least 32 characters/],
    ['SMS_DEFAULT_COUNTRY', 'UK', /SMS_DEFAULT_COUNTRY: expected an ISO 3166-1 alpha-2 country code .*GB/],
    ['SMS_DEFAULT_COUNTRY', 'GBR', /SMS_DEFAULT_COUNTRY: expected an ISO 3166-1 alpha-2/],
    ['DEFAULT_LOCALE', 'de', /DEFAULT_LOCALE: expected one of the languages with a catalogue .*en, .*pt-BR/],
    ['DEFAULT_LOCALE', 'pt-br', /DEFAULT_LOCALE: expected one of the languages/],
    ['AUDIT_RETENTION_DAYS', '0', /AUDIT_RETENTION_DAYS: expected 1-3650/],
    ['AUDIT_RETENTION_DAYS', '3651', /AUDIT_RETENTION_DAYS: expected 1-3650/],
    ['AUDIT_RETENTION_DAYS', '30.5', /AUDIT_RETENTION_DAYS: expected a whole number/],
    ['AUDIT_RETENTION_DAYS', 'forever', /AUDIT_RETENTION_DAYS: expected a number of days/],
    ['BOT_CHALLENGE_DIFFICULTY', '7', /BOT_CHALLENGE_DIFFICULTY: expected 8-26/],
    ['BOT_CHALLENGE_DIFFICULTY', '27', /BOT_CHALLENGE_DIFFICULTY: expected 8-26/],
    ['BOT_CHALLENGE_DIFFICULTY', '18.5', /BOT_CHALLENGE_DIFFICULTY: expected a whole number/],
  ])('a bad %s stops the boot with a message naming it', (key, value, message) => {
    expect(() => loadConfig({ DATA_DIR: dataDir, [key]: value })).toThrow(message);
  });

  test('audit events are kept 400 days unless AUDIT_RETENTION_DAYS says otherwise (1-3650)', () => {
    expect(loadConfig({ DATA_DIR: dataDir }).auditRetentionDays).toBe(400);
    expect(loadConfig({ DATA_DIR: dataDir, AUDIT_RETENTION_DAYS: '1' }).auditRetentionDays).toBe(1);
    expect(loadConfig({ DATA_DIR: dataDir, AUDIT_RETENTION_DAYS: '3650' }).auditRetentionDays).toBe(3650);
  });

  test('the bot challenge: 19 bits by default, 10-minute challenges, the difficulty settable', () => {
    expect(loadConfig({ DATA_DIR: dataDir }).botChallenge).toEqual({ difficulty: 19, ttlSeconds: 600 });
    expect(loadConfig({ DATA_DIR: dataDir, BOT_CHALLENGE_DIFFICULTY: '22' }).botChallenge.difficulty).toBe(22);
  });

  test('the bootstrap admin needs both id and secret', () => {
    expect(() => loadConfig({ DATA_DIR: dataDir, BOOTSTRAP_ADMIN_CLIENT_ID: 'admin' })).toThrow(/set both or neither/);
  });

  describe('SMS', () => {
    const secret = 'x'.repeat(32);
    const production = { NODE_ENV: 'production', ISSUER: 'https://id.example.com', TRUST_PROXY: 'true', KEY_ENCRYPTION_KEY: 'a'.repeat(64), SMTP_URL: 'smtp://mail.example.com:587' };

    test('outside production, SMS goes to the dev outbox without any setting', () => {
      expect(loadConfig({ DATA_DIR: dataDir }).sms).toEqual({ webhookUrl: undefined, webhookSecret: undefined, defaultCountry: undefined, countries: [...DEFAULT_SMS_COUNTRIES], enabled: true });
    });

    test('a webhook with its secret and a default country', () => {
      const config = loadConfig({ DATA_DIR: dataDir, SMS_WEBHOOK_URL: 'http://127.0.0.1:9000/sms', SMS_WEBHOOK_SECRET: secret, SMS_COUNTRIES: 'MX,GB', SMS_DEFAULT_COUNTRY: 'gb' });
      expect(config.sms).toEqual({ webhookUrl: 'http://127.0.0.1:9000/sms', webhookSecret: secret, defaultCountry: 'GB', countries: ['MX', 'GB'], enabled: true });
      expect(Object.isFrozen(config.sms)).toBe(true);
    });

    test('a webhook without its secret stops the boot naming SMS_WEBHOOK_SECRET', () => {
      expect(() => loadConfig({ DATA_DIR: dataDir, SMS_WEBHOOK_URL: 'https://sms.example.com/hook' })).toThrow(/SMS_WEBHOOK_SECRET: required when SMS_WEBHOOK_URL is set/);
    });

    test('a secret without a webhook stops the boot naming SMS_WEBHOOK_URL', () => {
      expect(() => loadConfig({ DATA_DIR: dataDir, SMS_WEBHOOK_SECRET: secret })).toThrow(/SMS_WEBHOOK_URL: required when SMS_WEBHOOK_SECRET is set/);
    });

    test('credentials in the webhook URL are refused (requests are signed instead)', () => {
      expect(() => loadConfig({ DATA_DIR: dataDir, SMS_WEBHOOK_URL: 'https://user:pass@sms.example.com/hook', SMS_WEBHOOK_SECRET: secret })).toThrow(/SMS_WEBHOOK_URL: must not contain user:password/);
    });

    test('production without a webhook boots and offers no SMS', () => {
      const config = loadConfig({ DATA_DIR: dataDir, ...production });
      expect(config.sms.enabled).toBe(false);
      expect(config.sms.webhookUrl).toBeUndefined();
    });

    test('production needs an https webhook unless it is on loopback', () => {
      expect(() => loadConfig({ DATA_DIR: dataDir, ...production, SMS_WEBHOOK_URL: 'http://sms.example.com/hook', SMS_WEBHOOK_SECRET: secret })).toThrow(/SMS_WEBHOOK_URL: must be an https URL in production/);
      for (const url of ['https://sms.example.com/hook', 'http://127.0.0.1:9000/sms', 'http://localhost:9000/sms', 'http://[::1]:9000/sms']) {
        expect(loadConfig({ DATA_DIR: dataDir, ...production, SMS_WEBHOOK_URL: url, SMS_WEBHOOK_SECRET: secret, SMS_ALLOWED_COUNTRIES: 'GB' }).sms).toMatchObject({ webhookUrl: url, enabled: true });
      }
    });

    test('texts go only to the program\'s countries unless SMS_ALLOWED_COUNTRIES says otherwise (SMS pumping targets expensive ones)', () => {
      const webhook = { SMS_WEBHOOK_URL: 'https://sms.example.com/hook', SMS_WEBHOOK_SECRET: secret };
      // Without SMS_ALLOWED_COUNTRIES, the program's own countries (SMS_COUNTRIES), never every country.
      expect(loadConfig({ DATA_DIR: dataDir, ...production, ...webhook }).attackProtection.sms.allowedCountries).toEqual([...DEFAULT_SMS_COUNTRIES]);
      expect(loadConfig({ DATA_DIR: dataDir, ...production, ...webhook, SMS_COUNTRIES: 'ie, gb,IE', SMS_DEFAULT_COUNTRY: 'IE' }).attackProtection.sms.allowedCountries).toEqual(['IE', 'GB']);
      expect(() => loadConfig({ DATA_DIR: dataDir, SMS_COUNTRIES: 'MX', SMS_DEFAULT_COUNTRY: 'GB' })).toThrow(/SMS_DEFAULT_COUNTRY: GB is not one of SMS_COUNTRIES \(MX\)/);
      expect(() => loadConfig({ DATA_DIR: dataDir, SMS_COUNTRIES: 'MX,UK' })).toThrow(/SMS_COUNTRIES: expected comma-separated ISO 3166-1 alpha-2/);
      expect(() => loadConfig({ DATA_DIR: dataDir, SMS_COUNTRIES: '*' })).toThrow(/SMS_COUNTRIES: expected comma-separated ISO 3166-1 alpha-2/);
      expect(loadConfig({ DATA_DIR: dataDir, ...production, ...webhook, SMS_ALLOWED_COUNTRIES: 'gb, ie' }).attackProtection.sms.allowedCountries).toEqual(['GB', 'IE']);
      expect(loadConfig({ DATA_DIR: dataDir, ...production, ...webhook, SMS_ALLOWED_COUNTRIES: '*' }).attackProtection.sms.allowedCountries).toBeUndefined();
      expect(() => loadConfig({ DATA_DIR: dataDir, SMS_ALLOWED_COUNTRIES: 'UK' })).toThrow(/SMS_ALLOWED_COUNTRIES: expected comma-separated ISO 3166-1/);
    });

    test('attack-protection thresholds default to the documented values and refuse nonsense', () => {
      const { attackProtection } = loadConfig({ DATA_DIR: dataDir });
      expect(attackProtection.signIn).toEqual({ pairFailures: 10, pairBlockSeconds: 900, accountFailuresPerHour: 100, ipFailuresPerDay: 100 });
      expect(attackProtection.signUp).toEqual({ perIpPerHour: 50, perDevicePerHour: 5 });
      expect(attackProtection.sms).toMatchObject({ perNumberPerHour: 3, perIpPerHour: 10, dailyBudget: 1000 });
      expect(attackProtection).toMatchObject({ unverifiedAccountDays: 7, newDeviceStepUp: true });
      expect(() => loadConfig({ DATA_DIR: dataDir, SIGN_IN_PAIR_FAILURES: '2' })).toThrow(/SIGN_IN_PAIR_FAILURES: expected a whole number 3-1000/);
      expect(() => loadConfig({ DATA_DIR: dataDir, SMS_DAILY_BUDGET: 'lots' })).toThrow(/SMS_DAILY_BUDGET: expected a whole number/);
      expect(() => loadConfig({ DATA_DIR: dataDir, PWNED_PASSWORDS_URL: 'ftp://x' })).toThrow(/PWNED_PASSWORDS_URL: expected a URL/);
      expect(() => loadConfig({ DATA_DIR: dataDir, RISK_NEW_DEVICE_STEP_UP: 'sometimes' })).toThrow(/RISK_NEW_DEVICE_STEP_UP: expected true or false/);
    });
  });

  test('production refuses every unsafe default at once, naming each', () => {
    let error: unknown;
    try {
      loadConfig({ DATA_DIR: dataDir, NODE_ENV: 'production', BOOTSTRAP_ADMIN_CLIENT_ID: 'admin', BOOTSTRAP_ADMIN_CLIENT_SECRET: 'short-but-16-chars',
        SMS_WEBHOOK_URL: 'http://sms.example.com/hook', SMS_WEBHOOK_SECRET: 'x'.repeat(32), METRICS_TOKEN: 'metrics-16-chars' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const key of ['ISSUER', 'TRUST_PROXY', 'KEY_ENCRYPTION_KEY', 'SMTP_URL', 'BOOTSTRAP_ADMIN_CLIENT_SECRET', 'SMS_WEBHOOK_URL', 'METRICS_TOKEN']) expect(message).toContain(key);
  });

  test('production boots with safe settings and never writes development secrets', () => {
    const config = loadConfig({
      DATA_DIR: dataDir, NODE_ENV: 'production', ISSUER: 'https://id.example.com', TRUST_PROXY: 'true',
      KEY_ENCRYPTION_KEY: 'a'.repeat(64), SMTP_URL: 'smtp://mail.example.com:587',
    });
    expect(config.issuer).toBe('https://id.example.com');
    expect(() => readFileSync(join(dataDir, 'dev-secrets.json'))).toThrow();
  });
});
