// Turns the environment into a frozen, validated configuration; fails fast naming the bad key.
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type AttackProtection, attackProtection } from './attack-protection.ts';
import { type PointsFraudSettings, pointsFraud } from './points-fraud.ts';
import { dataDirProblem } from './data-dir.ts';
import { KNOWN_FIELDS, parseProfileFields, type ProfileFieldSpec } from './profile-fields.ts';
import { configSchema, decodeKey, type RawConfig } from './schema.ts';
import type { FirebaseScryptParameters } from '../server/passwords/legacy/family.ts';
import { ensurePrivateDir, restrictFile } from '../server/security/private-files.ts';
import { type Branding, BrandingError, loadBrandingFile, NO_BRANDING } from '../server/branding/branding-file.ts';
import { loadPurposeCatalogue, type PurposeCatalogue } from './consent-purposes.ts';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

export interface Config {
  env: RawConfig['NODE_ENV'];
  port: number;
  host: string;
  /** Longest a client may take to send one request, headers and body (REQUEST_TIMEOUT_SECONDS), in ms. */
  requestTimeoutMs: number;
  /** THREAD_POOL_NICE: the nice value of the threads that hash passwords (Linux), 0 to leave them alone. */
  threadPoolNice: number;
  /** Without trailing slash. */
  issuer: string;
  dataDir: string;
  mongodbUri: string | undefined;
  smtpUrl: string | undefined;
  smtpFrom: string;
  /** Firebase project scrypt parameters for imported `$firebase-scrypt$` hashes (FIREBASE_SCRYPT_*), when a signer key is set. */
  firebaseScrypt: FirebaseScryptParameters | undefined;
  /** Trickle migration: the old system's signed password check (LEGACY_VERIFY_*), when configured. */
  legacyVerify: { url: string; secret: string; timeoutMs: number } | undefined;
  /** IMPORT_MAX_UPLOAD_BYTES: the largest admin import upload. */
  importMaxUploadBytes: number;
  keyEncryptionKey: Buffer;
  bootstrapAdmin: { clientId: string; clientSecret: string } | undefined;
  /** STAFF_OWNER_EMAIL: the member made staff owner at boot (issue 20). */
  staffOwnerEmail: string | undefined;
  trustProxy: boolean;
  /** Bearer secret for GET /metrics; undefined: loopback only. */
  metricsToken: string | undefined;
  /** OpenTelemetry tracing (TRACING_ENABLED or OTEL_EXPORTER_OTLP_ENDPOINT): where spans go; undefined: off. */
  tracing: { endpoint: string } | undefined;
  logLevel: RawConfig['LOG_LEVEL'];
  codeResendCooldownSeconds: number;
  /** DEFAULT_LOCALE: the language when nothing else chose one (a tag with a catalogue). */
  defaultLocale: string;
  /** Signing-key rotation (POST /admin/keys/rotate): publish-only delay and retirement delay, in seconds. */
  keyRotation: { signDelaySeconds: number; retireAfterSeconds: number };
  /** Resource indicators whose JWT access tokens are signed RS256 (RS256_RESOURCES); the rest get ES256. */
  rs256Resources: readonly string[];
  /** Days security audit events are kept (AUDIT_RETENTION_DAYS). */
  auditRetentionDays: number;
  eventsRetentionDays: number;
  /** Waits between back-channel logout tries (seconds). */
  backchannelLogoutRetrySeconds: number[];
  /** How long a sign-in lasts: on a device seen before it, and on one first seen at it (seconds). */
  sessionTtl: { knownDeviceSeconds: number; otherSeconds: number };
  /** The event dispatcher (outbox relay and webhook delivery; issue 18). */
  webhooks: { dispatcher: boolean; pollMs: number; retryBaseMs: number; retryWindowSeconds: number };
  webauthn: { rpId: string; origins: string[] };
  /** The analytics rollup consumer (issue 18). */
  analytics: { rollups: boolean; retentionDays: number };
  sms: SmsSettings;
  /** The program's profile fields (config/profile-fields.ts). */
  profileFields: readonly ProfileFieldSpec[];
  /** Rate limits, lockout, stuffing detection, SMS pumping and fake-account rules (config/attack-protection.ts). */
  attackProtection: AttackProtection;
  /** Points-fraud thresholds of the redemption risk rules (config/points-fraud.ts; issue 21). */
  pointsFraud: PointsFraudSettings;
  /** The proof-of-work bot check (server/security/bot-challenge): bits of work, and how long a challenge lasts. */
  botChallenge: { difficulty: number; ttlSeconds: number };
  /** The operator's name, logo, colours and links for the hosted pages (BRANDING_FILE); NO_BRANDING without one. */
  branding: Branding;
  /** Kiosk clients (enrolment_channel kiosk): idle seconds before the server ends the flow and session. */
  kiosk: { idleSeconds: number };
  /** Purposes members consent to and the terms version they must accept (issue 17; config/consent-purposes.ts). */
  consent: { catalogue: PurposeCatalogue; termsVersion: number | undefined; termsUrl: string | undefined };
}

export interface SmsSettings {
  webhookUrl: string | undefined;
  webhookSecret: string | undefined;
  /** ISO 3166-1 alpha-2, upper case: preselected where the page language names none of `countries`. */
  defaultCountry: string | undefined;
  /** SMS_COUNTRIES: the program's countries, upper-case alpha-2, in order of preference. */
  countries: readonly string[];
  /** Offer SMS at all: a webhook is set, or (outside production) the dev outbox stands in for one. */
  enabled: boolean;
}

/** Reads (or creates once) the development secrets file in DATA_DIR, so restarts keep keys and sessions. */
function developmentKey(dataDir: string): Buffer {
  const file = join(dataDir, 'dev-secrets.json');
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as { keyEncryptionKey?: string };
    const key = parsed.keyEncryptionKey ? decodeKey(parsed.keyEncryptionKey) : undefined;
    if (key?.length === 32) {
      restrictFile(file);
      return key;
    }
    throw new ConfigError(`${file} is corrupt: delete it to generate new development secrets`);
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  ensurePrivateDir(dataDir);
  const key = randomBytes(32);
  // 'wx' fails if another process created it first; then we read theirs.
  try {
    writeFileSync(file, JSON.stringify({ keyEncryptionKey: key.toString('hex') }) + '\n', { mode: 0o600, flag: 'wx' });
    restrictFile(file);
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return developmentKey(dataDir);
    throw error;
  }
}

function productionProblems(raw: RawConfig, issuer: URL): string[] {
  const problems: string[] = [];
  if (issuer.protocol !== 'https:') problems.push('ISSUER: must be an https URL in production');
  if (!raw.TRUST_PROXY) problems.push('TRUST_PROXY: must be true in production (TLS ends at the reverse proxy)');
  if (!raw.KEY_ENCRYPTION_KEY) problems.push('KEY_ENCRYPTION_KEY: required in production (32 random bytes, hex or base64)');
  if (!raw.SMTP_URL) problems.push('SMTP_URL: required in production (the dev outbox would swallow member email)');
  if (raw.BOOTSTRAP_ADMIN_CLIENT_SECRET && raw.BOOTSTRAP_ADMIN_CLIENT_SECRET.length < 32) {
    problems.push('BOOTSTRAP_ADMIN_CLIENT_SECRET: must be at least 32 characters in production');
  }
  if (raw.METRICS_TOKEN && raw.METRICS_TOKEN.length < 32) problems.push('METRICS_TOKEN: must be at least 32 characters in production');
  // No SMS_WEBHOOK_URL is fine: the program then offers no SMS. Plain http would carry codes in clear.
  if (raw.SMS_WEBHOOK_URL && !isHttpsOrLoopback(new URL(raw.SMS_WEBHOOK_URL))) {
    problems.push('SMS_WEBHOOK_URL: must be an https URL in production (it carries one-time codes) unless the host is loopback');
  }
  return problems;
}

function isHttpsOrLoopback(url: URL): boolean {
  if (url.protocol === 'https:') return true;
  return url.hostname === 'localhost' || url.hostname === '[::1]' || /^127(\.\d{1,3}){3}$/.test(url.hostname);
}

/** The SMS webhook and its secret come together; the secret alone would leave SMS silently in the outbox. */
function smsSettings(raw: RawConfig): SmsSettings {
  if (raw.SMS_WEBHOOK_URL && !raw.SMS_WEBHOOK_SECRET) {
    throw new ConfigError('Invalid configuration:\n  SMS_WEBHOOK_SECRET: required when SMS_WEBHOOK_URL is set (at least 32 random characters; the provider checks the signature with it)');
  }
  if (Boolean(raw.LEGACY_VERIFY_URL) !== Boolean(raw.LEGACY_VERIFY_SECRET)) {
    throw new ConfigError(raw.LEGACY_VERIFY_URL
      ? 'Invalid configuration:\n  LEGACY_VERIFY_SECRET: required when LEGACY_VERIFY_URL is set (at least 32 random characters; the old system checks the signature with it)'
      : 'Invalid configuration:\n  LEGACY_VERIFY_URL: required when LEGACY_VERIFY_SECRET is set');
  }
  if (raw.SMS_WEBHOOK_SECRET && !raw.SMS_WEBHOOK_URL) {
    throw new ConfigError('Invalid configuration:\n  SMS_WEBHOOK_URL: required when SMS_WEBHOOK_SECRET is set');
  }
  const webhook = raw.SMS_WEBHOOK_URL ? new URL(raw.SMS_WEBHOOK_URL) : undefined;
  // fetch refuses URLs with credentials, so they would fail every send instead of the boot.
  if (webhook && (webhook.username || webhook.password)) {
    throw new ConfigError('Invalid configuration:\n  SMS_WEBHOOK_URL: must not contain user:password (requests are signed with SMS_WEBHOOK_SECRET)');
  }
  if (raw.SMS_DEFAULT_COUNTRY && !raw.SMS_COUNTRIES.includes(raw.SMS_DEFAULT_COUNTRY)) {
    throw new ConfigError(`Invalid configuration:\n  SMS_DEFAULT_COUNTRY: ${raw.SMS_DEFAULT_COUNTRY} is not one of SMS_COUNTRIES (${raw.SMS_COUNTRIES.join(',')})`);
  }
  return {
    webhookUrl: raw.SMS_WEBHOOK_URL,
    webhookSecret: raw.SMS_WEBHOOK_SECRET,
    defaultCountry: raw.SMS_DEFAULT_COUNTRY,
    countries: Object.freeze([...raw.SMS_COUNTRIES]),
    enabled: raw.SMS_WEBHOOK_URL !== undefined || raw.NODE_ENV !== 'production',
  };
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<Config> {
  // Empty strings count as unset: `FOO= npm start` should mean "use the default".
  const input = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
  }
  const raw = parsed.data;

  const issuerText = (raw.ISSUER ?? `http://localhost:${raw.PORT}`).replace(/\/+$/, '');
  const issuer = new URL(issuerText);
  if (issuer.search || issuer.hash) throw new ConfigError('Invalid configuration:\n  ISSUER: must not have a query or fragment');

  if (Boolean(raw.BOOTSTRAP_ADMIN_CLIENT_ID) !== Boolean(raw.BOOTSTRAP_ADMIN_CLIENT_SECRET)) {
    throw new ConfigError('Invalid configuration:\n  BOOTSTRAP_ADMIN_CLIENT_ID/BOOTSTRAP_ADMIN_CLIENT_SECRET: set both or neither');
  }

  const sms = smsSettings(raw);

  if (raw.NODE_ENV === 'production') {
    const problems = productionProblems(raw, issuer);
    if (problems.length) throw new ConfigError(`Refusing to start in production with unsafe settings:\n  ${problems.join('\n  ')}`);
  }

  const dataDir = resolve(raw.DATA_DIR);
  if (usesDataDir(raw)) {
    const problem = dataDirProblem(dataDir);
    if (problem) throw new ConfigError(problem);
  }
  const keyEncryptionKey = raw.KEY_ENCRYPTION_KEY ? (decodeKey(raw.KEY_ENCRYPTION_KEY) as Buffer) : developmentKey(dataDir);

  return Object.freeze({
    env: raw.NODE_ENV,
    port: raw.PORT,
    host: raw.HOST,
    requestTimeoutMs: raw.REQUEST_TIMEOUT_SECONDS * 1000,
    threadPoolNice: raw.THREAD_POOL_NICE,
    issuer: issuerText,
    dataDir,
    mongodbUri: raw.MONGODB_URI,
    smtpUrl: raw.SMTP_URL,
    smtpFrom: raw.SMTP_FROM,
    firebaseScrypt: raw.FIREBASE_SCRYPT_SIGNER_KEY
      ? Object.freeze({
        signerKey: raw.FIREBASE_SCRYPT_SIGNER_KEY,
        saltSeparator: raw.FIREBASE_SCRYPT_SALT_SEPARATOR,
        rounds: raw.FIREBASE_SCRYPT_ROUNDS,
        memCost: raw.FIREBASE_SCRYPT_MEM_COST,
      })
      : undefined,
    importMaxUploadBytes: raw.IMPORT_MAX_UPLOAD_BYTES,
    legacyVerify: raw.LEGACY_VERIFY_URL && raw.LEGACY_VERIFY_SECRET
      ? Object.freeze({ url: raw.LEGACY_VERIFY_URL, secret: raw.LEGACY_VERIFY_SECRET, timeoutMs: raw.LEGACY_VERIFY_TIMEOUT_MS })
      : undefined,
    keyEncryptionKey,
    bootstrapAdmin: raw.BOOTSTRAP_ADMIN_CLIENT_ID && raw.BOOTSTRAP_ADMIN_CLIENT_SECRET
      ? Object.freeze({ clientId: raw.BOOTSTRAP_ADMIN_CLIENT_ID, clientSecret: raw.BOOTSTRAP_ADMIN_CLIENT_SECRET })
      : undefined,
    staffOwnerEmail: raw.STAFF_OWNER_EMAIL,
    trustProxy: raw.TRUST_PROXY,
    metricsToken: raw.METRICS_TOKEN,
    tracing: raw.OTEL_EXPORTER_OTLP_ENDPOINT || raw.TRACING_ENABLED
      ? Object.freeze({ endpoint: (raw.OTEL_EXPORTER_OTLP_ENDPOINT ?? 'http://localhost:4318').replace(/\/+$/, '') })
      : undefined,
    logLevel: raw.LOG_LEVEL,
    codeResendCooldownSeconds: raw.CODE_RESEND_COOLDOWN_SECONDS,
    defaultLocale: raw.DEFAULT_LOCALE,
    keyRotation: Object.freeze({ signDelaySeconds: raw.KEY_ROTATION_SIGN_DELAY_SECONDS, retireAfterSeconds: raw.KEY_ROTATION_RETIRE_AFTER_SECONDS }),
    rs256Resources: Object.freeze([...raw.RS256_RESOURCES]),
    auditRetentionDays: raw.AUDIT_RETENTION_DAYS,
    eventsRetentionDays: raw.EVENTS_RETENTION_DAYS,
    backchannelLogoutRetrySeconds: raw.BACKCHANNEL_LOGOUT_RETRY_SECONDS,
    sessionTtl: Object.freeze({ knownDeviceSeconds: raw.SESSION_TTL_KNOWN_DEVICE_DAYS * 86_400, otherSeconds: raw.SESSION_TTL_OTHER_HOURS * 3600 }),
    webhooks: Object.freeze({ dispatcher: raw.WEBHOOKS_DISPATCHER, pollMs: raw.WEBHOOK_POLL_MS, retryBaseMs: raw.WEBHOOK_RETRY_BASE_MS, retryWindowSeconds: raw.WEBHOOK_RETRY_WINDOW_SECONDS }),
    webauthn: Object.freeze(webauthnSettings(raw, issuerText)),
    analytics: Object.freeze({ rollups: raw.ANALYTICS_ROLLUPS, retentionDays: raw.ANALYTICS_RETENTION_DAYS }),
    sms: Object.freeze(sms),
    profileFields: Object.freeze(profileFields(raw)),
    branding: branding(raw),
    attackProtection: Object.freeze(attackProtection(raw)),
    pointsFraud: pointsFraud(raw),
    // 10 minutes: long enough to fill a sign-up form at leisure, short enough that a stock of solved challenges goes stale.
    botChallenge: Object.freeze({ difficulty: raw.BOT_CHALLENGE_DIFFICULTY, ttlSeconds: 600 }),
    kiosk: Object.freeze({ idleSeconds: raw.KIOSK_IDLE_SECONDS }),
    consent: Object.freeze({ catalogue: purposeCatalogue(raw), termsVersion: raw.TERMS_VERSION, termsUrl: raw.TERMS_URL }),
  });
}

/** DATA_DIR holds the SQLite store, generated dev secrets and the dev outboxes; with none of them it is never touched. */
function usesDataDir(raw: RawConfig): boolean {
  const devSmsOutbox = !raw.SMS_WEBHOOK_URL && raw.NODE_ENV !== 'production';
  return !raw.MONGODB_URI || !raw.KEY_ENCRYPTION_KEY || !raw.SMTP_URL || devSmsOutbox;
}

/** The declared profile fields, or every known field asked only when a client requires it. */
function profileFields(raw: RawConfig): ProfileFieldSpec[] {
  if (!raw.PROFILE_FIELDS_FILE) return [...KNOWN_FIELDS];
  try {
    return parseProfileFields(JSON.parse(readFileSync(raw.PROFILE_FIELDS_FILE, 'utf8')));
  } catch (error) {
    throw new ConfigError(`Invalid configuration:\n  PROFILE_FIELDS_FILE: ${(error as Error).message.split('\n')[0]}`);
  }
}

/** The purpose catalogue, checked now: a wrong file stops the boot naming the field. */
function purposeCatalogue(raw: RawConfig): PurposeCatalogue {
  try {
    return loadPurposeCatalogue(raw.CONSENT_PURPOSES_FILE);
  } catch (error) {
    throw new ConfigError(`Invalid configuration:\n  CONSENT_PURPOSES_FILE (${raw.CONSENT_PURPOSES_FILE}): ${(error as Error).message.split('\n')[0]}`);
  }
}

/** The branding file, checked now: a wrong colour or a missing logo stops the boot, naming the file and the field. */
function branding(raw: RawConfig): Branding {
  if (!raw.BRANDING_FILE) return NO_BRANDING;
  try {
    return loadBrandingFile(raw.BRANDING_FILE);
  } catch (error) {
    if (!(error instanceof BrandingError)) throw error;
    throw new ConfigError(`Invalid configuration:\n  BRANDING_FILE (${raw.BRANDING_FILE}): ${error.message}`);
  }
}

/** Passkeys: the rpId must be the issuer host or a suffix of it, and each origin an exact scheme://host[:port]. */
function webauthnSettings(raw: RawConfig, issuer: string): { rpId: string; origins: string[] } {
  const issuerUrl = new URL(issuer);
  const rpId = (raw.WEBAUTHN_RP_ID ?? issuerUrl.hostname).toLowerCase();
  if (issuerUrl.hostname !== rpId && !issuerUrl.hostname.endsWith(`.${rpId}`)) {
    throw new ConfigError(`WEBAUTHN_RP_ID: expected the ISSUER host ${issuerUrl.hostname} or a domain it belongs to, got ${rpId}`);
  }
  const origins = raw.WEBAUTHN_ORIGINS === undefined ? [issuerUrl.origin] : raw.WEBAUTHN_ORIGINS.split(',').map((o) => o.trim()).filter(Boolean);
  for (const origin of origins) {
    let parsed: URL | undefined;
    try {
      parsed = new URL(origin);
    } catch {
      parsed = undefined;
    }
    if (!parsed || parsed.origin !== origin) throw new ConfigError(`WEBAUTHN_ORIGINS: expected origins like https://shop.example.com, got ${origin}`);
  }
  if (origins.length === 0) throw new ConfigError('WEBAUTHN_ORIGINS: expected at least one origin');
  return { rpId, origins };
}
