// Configuration: defaults, bad values named by key, production refusing unsafe defaults.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../config/index.ts';

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
  ])('a bad %s stops the boot with a message naming it', (key, value, message) => {
    expect(() => loadConfig({ DATA_DIR: dataDir, [key]: value })).toThrow(message);
  });

  test('the bootstrap admin needs both id and secret', () => {
    expect(() => loadConfig({ DATA_DIR: dataDir, BOOTSTRAP_ADMIN_CLIENT_ID: 'admin' })).toThrow(/set both or neither/);
  });

  test('production refuses every unsafe default at once, naming each', () => {
    let error: unknown;
    try {
      loadConfig({ DATA_DIR: dataDir, NODE_ENV: 'production', BOOTSTRAP_ADMIN_CLIENT_ID: 'admin', BOOTSTRAP_ADMIN_CLIENT_SECRET: 'short-but-16-chars' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const message = (error as Error).message;
    for (const key of ['ISSUER', 'TRUST_PROXY', 'KEY_ENCRYPTION_KEY', 'SMTP_URL', 'BOOTSTRAP_ADMIN_CLIENT_SECRET']) expect(message).toContain(key);
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
