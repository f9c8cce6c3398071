// The one configuration schema: every environment variable with its type, default and description.
// The README's configuration table is generated from this file (npm run config:docs).
import { isSupportedCountry } from 'libphonenumber-js/max';
import { z } from 'zod';
import { SUPPORTED_LANGUAGES } from '../server/i18n/locales/index.ts';
import { attackProtectionSettings } from './attack-protection-settings.ts';
import { pointsFraudSettings } from './points-fraud-settings.ts';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'expected true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const port = z.coerce
  .number({ error: 'expected a port number' })
  .int('expected a whole number')
  .min(0, 'expected 0-65535')
  .max(65535, 'expected 0-65535');

const url = (protocols: string[]) =>
  z.string().refine((value) => {
    try {
      return protocols.includes(new URL(value).protocol);
    } catch {
      return false;
    }
  }, `expected a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`);

/** A 32-byte key written as 64 hex characters or as base64 / base64url. */
const key32 = z.string().refine((value) => decodeKey(value)?.length === 32, 'expected 32 random bytes as 64 hex characters or base64');

export function decodeKey(value: string): Buffer | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Buffer.from(value, 'hex');
  if (/^[A-Za-z0-9+/_-]{43}=?$/.test(value)) return Buffer.from(value.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  return undefined;
}

export interface SettingDoc {
  env: string;
  description: string;
  /** Human-readable default for the docs ('' when there is none). */
  defaultText: string;
}

/**
 * Where the program runs (issue 15): Mexico first (es pages default to es-MX), then Brazil, France and Poland,
 * then the other Latin-American markets by size.
 */
export const DEFAULT_SMS_COUNTRIES = ['MX', 'BR', 'FR', 'PL', 'AR', 'CO', 'CL', 'PE', 'EC', 'GT', 'DO', 'CR', 'PA', 'UY'] as const;

/** Each key: its zod type (which also carries the default) and its documentation. */
export const settings = {
  NODE_ENV: {
    schema: z.enum(['development', 'test', 'production'], { error: 'expected development, test or production' }).default('development'),
    description: 'development generates and keeps secrets in DATA_DIR; production refuses to boot on unsafe defaults.',
    defaultText: 'development',
  },
  PORT: { schema: port.default(3000), description: 'TCP port the server listens on.', defaultText: '3000' },
  HOST: {
    schema: z.string().min(1, 'expected a host name or address').default('127.0.0.1'),
    description: 'Address to bind. Loopback by default; the Docker image sets 0.0.0.0.',
    defaultText: '127.0.0.1',
  },
  ISSUER: {
    schema: url(['http:', 'https:']).optional(),
    description: 'Public issuer URL (no trailing slash, no query). Must be https in production.',
    defaultText: 'http://localhost:$PORT',
  },
  DATA_DIR: {
    schema: z.string().min(1, 'expected a directory path').default('./data'),
    description: 'Directory of the embedded SQLite store, the dev outbox and generated dev secrets.',
    defaultText: './data',
  },
  REQUEST_TIMEOUT_SECONDS: {
    schema: z.coerce.number({ error: 'expected a number of seconds' }).int('expected a whole number').min(1, 'expected 1-300').max(300, 'expected 1-300').default(30),
    description: 'Longest a client may take to send one whole request (headers and body); a slower one gets 408 and its connection is closed, so slow senders cannot hold connections for Node\'s default 300 s.',
    defaultText: '30',
  },
  MONGODB_URI: {
    schema: url(['mongodb:', 'mongodb+srv:']).optional(),
    description: 'When set, store everything in MongoDB (replica set or sharded cluster) instead of SQLite.',
    defaultText: '',
  },
  SMTP_URL: {
    schema: url(['smtp:', 'smtps:']).optional(),
    description: 'SMTP server for email (smtp://user:pass@host:587). Without it, mail goes to a dev outbox (log + DATA_DIR/outbox.jsonl). Required in production.',
    defaultText: '',
  },
  SMTP_FROM: {
    schema: z.string().min(3, 'expected a sender address').default('Loyalty ID <no-reply@localhost>'),
    description: 'From header of every email. With a program name in BRANDING_FILE, that name (in the email\'s language) replaces the display name here; the address stays.',
    defaultText: 'Loyalty ID <no-reply@localhost>',
  },
  SMS_WEBHOOK_URL: {
    schema: url(['http:', 'https:']).optional(),
    description: 'Your SMS provider\'s endpoint: each SMS is POSTed there as signed JSON (see SMS_WEBHOOK_SECRET). Without it, SMS goes to a dev outbox (log + DATA_DIR/sms-outbox.jsonl) outside production, and in production SMS is simply not offered. Must be https in production unless the host is loopback.',
    defaultText: '',
  },
  SMS_WEBHOOK_SECRET: {
    schema: z.string().min(32, 'expected at least 32 characters').max(256, 'expected at most 256 characters').optional(),
    description: 'Signs each SMS webhook request: header X-Loyalty-Signature: t=TIMESTAMP,v1=HMAC, where HMAC is the hex HMAC-SHA256 with this secret of the Unix-seconds TIMESTAMP, a dot and the raw body. At least 32 characters; required with SMS_WEBHOOK_URL.',
    defaultText: '',
  },
  SMS_DEFAULT_COUNTRY: {
    schema: z
      .string()
      .transform((value) => value.toUpperCase())
      .refine((value) => /^[A-Z]{2}$/.test(value) && isSupportedCountry(value), 'expected an ISO 3166-1 alpha-2 country code such as GB or US (the United Kingdom is GB)')
      .optional(),
    description: 'Country (ISO 3166-1 alpha-2, one of SMS_COUNTRIES) preselected in phone fields of English pages and of pages whose language names no country of SMS_COUNTRIES, and of national numbers in imported records. Without it, the first of SMS_COUNTRIES.',
    defaultText: '',
  },
  SMS_COUNTRIES: {
    schema: z
      .string()
      .transform((value) => value.split(',').map((c) => c.trim().toUpperCase()).filter(Boolean))
      .refine((codes) => codes.length > 0 && codes.every((c) => /^[A-Z]{2}$/.test(c) && isSupportedCountry(c)), 'expected comma-separated ISO 3166-1 alpha-2 country codes such as MX,BR,FR,PL')
      .transform((codes) => [...new Set(codes)])
      .default([...DEFAULT_SMS_COUNTRIES]),
    description: 'The program\'s countries (comma-separated ISO 3166-1 alpha-2): the country list of every phone field, in this order of preference when neither the request\'s country nor the page language picks one; numbers from elsewhere are refused. Also the SMS allowlist unless SMS_ALLOWED_COUNTRIES says otherwise.',
    defaultText: DEFAULT_SMS_COUNTRIES.join(','),
  },
  DEFAULT_LOCALE: {
    schema: z
      .string()
      .refine((value) => SUPPORTED_LANGUAGES.includes(value), `expected one of the languages with a catalogue in server/i18n/locales: ${SUPPORTED_LANGUAGES.join(', ')}`)
      .default('en'),
    description: 'Page, email and SMS language when neither ui_locales, the member\'s saved locale, a language picked on the page nor Accept-Language names a supported one. A tag exactly as its catalogue file is named (en, es, pt-BR, fr, pl).',
    defaultText: 'en',
  },
  KEY_ENCRYPTION_KEY: {
    schema: key32.optional(),
    description: 'Encrypts signing keys at rest and derives cookie and code keys. 32 bytes (hex or base64). Generated into DATA_DIR in development; required in production and identical on every instance.',
    defaultText: '(generated in development)',
  },
  BOOTSTRAP_ADMIN_CLIENT_ID: {
    schema: z.string().regex(/^[A-Za-z0-9._~-]{3,100}$/, 'expected 3-100 characters of A-Z a-z 0-9 . _ ~ -').optional(),
    description: 'At boot, ensure a confidential client with this id that may use client_credentials with scope admin.',
    defaultText: '',
  },
  BOOTSTRAP_ADMIN_CLIENT_SECRET: {
    schema: z.string().min(16, 'expected at least 16 characters (32 or more in production)').max(256, 'expected at most 256 characters').optional(),
    description: 'Secret of the bootstrap admin client (client_secret_basic or client_secret_post).',
    defaultText: '',
  },
  STAFF_OWNER_EMAIL: {
    schema: z.string().trim().max(254, 'expected at most 254 characters').regex(/^[^\s@]+@[^\s@]+$/, 'expected an email address').optional(),
    description: 'At boot, give the member with this (verified) email the staff role owner, if they have no roles yet: the first operator of the console. The member signs up first; until then each boot logs that it waits.',
    defaultText: '',
  },
  TRUST_PROXY: {
    schema: bool.default(false),
    description: 'Trust X-Forwarded-For/-Proto from a reverse proxy. Required (with an https ISSUER) in production, where TLS ends at the proxy.',
    defaultText: 'false',
  },
  METRICS_TOKEN: {
    schema: z.string().regex(/^[\x21-\x7E]+$/, 'expected printable ASCII without spaces (it travels in an Authorization header)').min(16, 'expected at least 16 characters (32 or more in production)').max(256, 'expected at most 256 characters').optional(),
    description: 'Bearer secret for GET /metrics (Prometheus text). Without it only clients whose socket is on loopback may read /metrics, and only requests no proxy forwarded: behind a reverse proxy on the same host, set it.',
    defaultText: '',
  },
  TRACING_ENABLED: {
    schema: bool.default(false),
    description: 'OpenTelemetry tracing: one span per HTTP request (route, status, request id as request.id) exported over OTLP/HTTP (JSON) to OTEL_EXPORTER_OTLP_ENDPOINT. Also on whenever OTEL_EXPORTER_OTLP_ENDPOINT is set. Off: the OpenTelemetry SDK is not even loaded.',
    defaultText: 'false',
  },
  OTEL_EXPORTER_OTLP_ENDPOINT: {
    schema: url(['http:', 'https:']).optional(),
    description: 'Base URL of the OTLP/HTTP collector (spans are POSTed to <endpoint>/v1/traces). Setting it turns tracing on; with TRACING_ENABLED alone, http://localhost:4318.',
    defaultText: '',
  },
  LOG_LEVEL: {
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { error: 'expected fatal, error, warn, info, debug, trace or silent' }).default('info'),
    description: 'pino log level.',
    defaultText: 'info',
  },
  PROFILE_FIELDS_FILE: {
    schema: z.string().min(1).max(4096).optional(),
    description: 'JSON file declaring the progressive-profile fields: [{"name":"given_name","required":true,"ask":{"atSignUp":true}}, ...] (names: given_name, family_name, birthdate, address.postal_code, favourite_store; ask: atSignUp, afterSignIns, beforeRedemption). Without it, fields are asked only when a client lists them in required_claims.',
    defaultText: '(none)',
  },
  BRANDING_FILE: {
    schema: z.string().min(1).max(4096).optional(),
    description: 'JSON file with the operator branding of the hosted pages: program_name (text, or {"default": ..., "es": ...} per language), logo (path to an .svg or .png of at most 100 KiB, relative to the file), primary_colour and primary_text_colour (#rrggbb, at least 4.5:1 contrast), home_url, and support_url / privacy_url / terms_url (https, one URL or per language). Checked at boot: a bad file stops it naming the field. Without it, the default look and the catalogue\'s program name.',
    defaultText: '(none)',
  },
  FIREBASE_SCRYPT_SIGNER_KEY: {
    schema: z.string().regex(/^[A-Za-z0-9+/]+={0,2}$/, 'expected base64').optional(),
    description: 'Base64 signer key of the Firebase project imported members come from (console → Authentication → password hash parameters); without it `$firebase-scrypt$` hashes never verify.',
    defaultText: '',
  },
  FIREBASE_SCRYPT_SALT_SEPARATOR: {
    schema: z.string().regex(/^[A-Za-z0-9+/]*={0,2}$/, 'expected base64').default('Bw=='),
    description: 'Base64 salt separator of that Firebase project.',
    defaultText: 'Bw==',
  },
  FIREBASE_SCRYPT_ROUNDS: {
    schema: z.coerce.number({ error: 'expected a number' }).int('expected a whole number').min(1, 'expected 1-8').max(8, 'expected 1-8').default(8),
    description: 'rounds of that Firebase project\'s scrypt parameters (scrypt r).',
    defaultText: '8',
  },
  FIREBASE_SCRYPT_MEM_COST: {
    schema: z.coerce.number({ error: 'expected a number' }).int('expected a whole number').min(1, 'expected 1-14').max(14, 'expected 1-14').default(14),
    description: 'mem_cost of that Firebase project\'s scrypt parameters (scrypt N = 2^mem_cost).',
    defaultText: '14',
  },
  LEGACY_VERIFY_URL: {
    schema: url(['http:', 'https:']).optional(),
    description: 'Trickle migration: the old system\'s password check. A password sign-in with an email unknown here (and only then) POSTs {"email","password"} there, signed like Standard Webhooks (webhook-id, webhook-timestamp, webhook-signature: v1,base64 HMAC-SHA256 with LEGACY_VERIFY_SECRET of "id.timestamp.body"); an answer {"valid":true,"email_verified":bool,"given_name"?,"family_name"?,"locale"?} creates the member with the password hashed by argon2id. Anything else (refusal, timeout, error, bad JSON) answers as a wrong password. Must be https in production unless the host is loopback.',
    defaultText: '',
  },
  LEGACY_VERIFY_SECRET: {
    schema: z.string().min(32, 'expected at least 32 characters').max(256, 'expected at most 256 characters').optional(),
    description: 'Signs each LEGACY_VERIFY_URL request (the UTF-8 bytes of this value are the HMAC key). At least 32 characters; required with LEGACY_VERIFY_URL.',
    defaultText: '',
  },
  LEGACY_VERIFY_TIMEOUT_MS: {
    schema: z.coerce.number({ error: 'expected a number of milliseconds' }).int('expected a whole number').min(100, 'expected 100-10000').max(10000, 'expected 100-10000').default(3000),
    description: 'How long a sign-in waits for LEGACY_VERIFY_URL before answering as a wrong password.',
    defaultText: '3000',
  },
  IMPORT_MAX_UPLOAD_BYTES: {
    schema: z.coerce.number({ error: 'expected a number of bytes' }).int('expected a whole number').min(1024, 'expected 1024-10737418240').max(10 * 1024 ** 3, 'expected 1024-10737418240').default(1024 ** 3),
    description: 'Largest file POST /admin/imports accepts (it is streamed to DATA_DIR/imports until its job is done); a larger upload is refused with 413.',
    defaultText: '1073741824 (1 GiB)',
  },
  AUDIT_RETENTION_DAYS: {
    schema: z.coerce.number({ error: 'expected a number of days' }).int('expected a whole number').min(1, 'expected 1-3650').max(3650, 'expected 1-3650').default(400),
    description: 'Days the security audit log (sign-ins, blocks, factor changes, admin actions) is kept; older events are deleted once a day.',
    defaultText: '400',
  },
  EVENTS_RETENTION_DAYS: {
    // At least the webhook retry window (3 days) and a day to replay after it, so no delivery loses its event.
    schema: z.coerce.number({ error: 'expected a number of days' }).int('expected a whole number').min(4, 'expected 4-3650').max(3650, 'expected 4-3650').default(30),
    description: 'Days the events outbox keeps an event once it is relayed, delivered to every webhook and counted by the analytics; older ones and their delivery history are deleted once a day. Time-range replays and GET /admin/events reach back this far.',
    defaultText: '30',
  },
  SESSION_TTL_KNOWN_DEVICE_DAYS: {
    schema: z.coerce.number({ error: 'expected a number of days' }).int('expected a whole number').min(1, 'expected 1-400').max(400, 'expected 1-400').default(30),
    description: 'Days a sign-in lasts on a device the member had signed in on before (a known device): the session ends this long after the sign-in, however active. A session cookie used from another device or from an impossible-travel place ends earlier.',
    defaultText: '30',
  },
  SESSION_TTL_OTHER_HOURS: {
    schema: z.coerce.number({ error: 'expected a number of hours' }).int('expected a whole number').min(1, 'expected 1-720').max(720, 'expected 1-720').default(12),
    description: 'Hours a sign-in lasts on a device seen for the first time at that sign-in.',
    defaultText: '12',
  },
  BACKCHANNEL_LOGOUT_RETRY_SECONDS: {
    schema: z
      .string()
      .regex(/^\d{1,4}(\.\d{1,3})?(,\d{1,4}(\.\d{1,3})?){0,4}$/, 'expected up to 5 comma-separated numbers of seconds, such as 10,50')
      .transform((value) => value.split(',').map(Number))
      .refine((delays) => delays.every((delay) => delay <= 3600), 'expected each wait to be at most 3600 seconds')
      .default([10, 50]),
    description: 'Waits between the tries of a back-channel logout delivery that failed (comma-separated seconds): each failure is audited (backchannel_logout.failed) and, after the last, the delivery is given up. The default tries three times over about a minute.',
    defaultText: '10,50',
  },
  KEY_ROTATION_SIGN_DELAY_SECONDS: {
    schema: z.coerce.number({ error: 'expected a number of seconds' }).int('expected a whole number').min(0, 'expected 0-604800').max(604800, 'expected 0-604800').default(3600),
    description: 'After POST /admin/keys/rotate, how long the new signing keys are only published in the JWKS before tokens are signed with them: long enough for relying parties\' JWKS caches and for every instance to reload its keys (each reloads from the store at least once a minute).',
    defaultText: '3600',
  },
  KEY_ROTATION_RETIRE_AFTER_SECONDS: {
    schema: z.coerce.number({ error: 'expected a number of seconds' }).int('expected a whole number').min(0, 'expected 0-2592000').max(2592000, 'expected 0-2592000').default(3600),
    description: 'How long a replaced signing key stays in the JWKS after its successor starts signing: at least the longest lifetime of a token it signed (ID tokens: 1 hour; JWT access tokens: 15 minutes), so every token it signed still verifies.',
    defaultText: '3600',
  },
  RS256_RESOURCES: {
    schema: z
      .string()
      .transform((value) => value.split(',').map((item) => item.trim()).filter(Boolean))
      .refine((items) => items.every((item) => URL.canParse(item)), 'expected comma-separated resource URLs (the resource indicators)')
      .default([]),
    description: 'Resource indicators (API URLs) whose JWT access tokens are signed with RS256, for resource servers that accept nothing else (Spring\'s NimbusJwtDecoder default, for example). Every other resource gets ES256 tokens: about three times cheaper to sign than RS256 and as widely supported by JWT libraries.',
    defaultText: 'none (every resource gets ES256)',
  },
  CODE_RESEND_COOLDOWN_SECONDS: {
    schema: z.coerce.number({ error: 'expected a number of seconds' }).int('expected a whole number').min(0, 'expected 0-3600').max(3600, 'expected 0-3600').default(60),
    description: 'Minimum wait before a one-time code can be sent again to the same account.',
    defaultText: '60',
  },
  BOT_CHALLENGE_DIFFICULTY: {
    schema: z.coerce.number({ error: 'expected a number of bits' }).int('expected a whole number').min(8, 'expected 8-26').max(26, 'expected 8-26').default(19),
    description: 'Work of the in-browser bot check, shown when risk asks for it: leading zero bits of SHA-256, so each bit doubles the average time (19: about 0.3 s in Chromium on a laptop, 1-2 s on a slow phone). Challenges already shown keep their own difficulty.',
    defaultText: '19',
  },
  KIOSK_IDLE_SECONDS: {
    schema: z.coerce.number({ error: 'expected a number of seconds' }).int('expected a whole number').min(1, 'expected 1-3600').max(3600, 'expected 1-3600').default(120),
    description: 'On the pages of clients with enrolment_channel kiosk (a shared in-store device): seconds without a request after which the server ends the member\'s flow and session; the page counts them down and then returns to the client.',
    defaultText: '120',
  },
  WEBAUTHN_RP_ID: {
    schema: z.string().regex(/^[a-z0-9.-]+$/i, 'expected a host name such as example.com (no scheme, port or path)').optional(),
    description: 'Passkey relying-party id: the issuer host or a registrable suffix of it. Passkeys only work on that domain; changing it strands the ones already made.',
    defaultText: 'the ISSUER host',
  },
  WEBAUTHN_ORIGINS: {
    schema: z.string().optional(),
    description: 'Comma-separated origins (scheme://host[:port]) allowed to use passkeys, matched exactly.',
    defaultText: 'the ISSUER origin',
  },
  WEBHOOKS_DISPATCHER: {
    schema: bool.default(true),
    description: 'Runs the event dispatcher in this process: it relays committed domain events from the outbox to webhook subscriptions and delivers them. Several processes may run it on one store (a lease lets one at a time send); false leaves events waiting in the outbox for another process.',
    defaultText: 'true',
  },
  WEBHOOK_POLL_MS: {
    schema: z.coerce.number({ error: 'expected a number of milliseconds' }).int('expected a whole number').min(10, 'expected 10-60000').max(60000, 'expected 10-60000').default(1000),
    description: 'How often the event dispatcher looks for new events and due webhook deliveries (milliseconds).',
    defaultText: '1000',
  },
  WEBHOOK_RETRY_BASE_MS: {
    schema: z.coerce.number({ error: 'expected a number of milliseconds' }).int('expected a whole number').min(1, 'expected 1-600000').max(600000, 'expected 1-600000').default(5000),
    description: 'First wait before a failed webhook delivery is tried again (milliseconds); each further wait doubles (with jitter, at most an hour) until WEBHOOK_RETRY_WINDOW_SECONDS is used up, then the delivery is dead-lettered.',
    defaultText: '5000',
  },
  WEBHOOK_RETRY_WINDOW_SECONDS: {
    schema: z.coerce.number({ error: 'expected a number of seconds' }).int('expected a whole number').min(1, 'expected 1-604800').max(604800, 'expected 1-604800').default(259200),
    description: 'How long a webhook delivery keeps being retried (the sum of its waits, in seconds; 3 days by default) before it is dead-lettered.',
    defaultText: '259200',
  },
  ANALYTICS_ROLLUPS: {
    schema: bool.default(true),
    description: 'Runs the analytics rollup consumer in this process: it counts committed domain events from the outbox into the hourly and daily counters GET /admin/analytics answers from (a lease lets one process at a time count). false leaves events waiting to be counted by another process.',
    defaultText: 'true',
  },
  ANALYTICS_RETENTION_DAYS: {
    schema: z.coerce.number({ error: 'expected a number of days' }).int('expected a whole number').min(1, 'expected 1-3650').max(3650, 'expected 1-3650').default(400),
    description: 'How long analytics counters are kept (days); older hours and days are deleted by the rollup consumer.',
    defaultText: '400',
  },
  // Issue 17 items 1 and 3: purpose consents and terms versions.
  CONSENT_PURPOSES_FILE: {
    schema: z.string().min(1).max(4096).optional(),
    description: 'JSON file of the purposes members consent to: {"purposes": [{"id": "marketing_email", "version": 1, "marketing": true, "required": false, "title": {"en": ...}, "text": {"en": ...}}], "terms_changes": {"2": {"en": "what changed"}}} (texts per language en, es, pt-BR, fr, pl; en required, the fallback). Raising a version asks members again. Checked at boot. See config/consent-purposes.example.json.',
    defaultText: 'marketing_email, marketing_sms, profiling, partner_sharing, analytics',
  },
  TERMS_VERSION: {
    schema: z.coerce.number({ error: 'expected a whole number' }).int('expected a whole number').min(1, 'expected 1 or more').optional(),
    description: 'Current version of the terms and privacy policy. Members who accepted an older one (or none) are asked to accept it at their next sign-in; declining cancels the sign-in. Unset: terms are not asked.',
    defaultText: '(none)',
  },
  TERMS_URL: {
    schema: url(['https:', 'http:']).optional(),
    description: 'Where the terms and privacy policy of TERMS_VERSION are published (linked from the sign-up page and the terms prompt).',
    defaultText: '(none)',
  },
  // Issue 19 item 4: the event loop first on busy cores.
  THREAD_POOL_NICE: {
    schema: z.coerce.number({ error: 'expected a nice value' }).int('expected a whole number').min(0, 'expected 0-19').max(19, 'expected 0-19').default(10),
    description: 'Linux: scheduling priority (nice, 0-19) given at boot to the threads that hash passwords (libuv\'s thread pool, where argon2, PBKDF2, scrypt and WebCrypto signing run, and the bcrypt workers), so requests are not queued on the CPU behind a hash; they still use every cycle the event loop leaves. 0 leaves them at the process\'s priority.',
    defaultText: '10',
  },
  ...attackProtectionSettings,
  ...pointsFraudSettings,
} as const;

export type SettingKey = keyof typeof settings;

export const configSchema = z.object(
  Object.fromEntries(Object.entries(settings).map(([key, setting]) => [key, setting.schema])) as {
    [K in SettingKey]: (typeof settings)[K]['schema'];
  },
);

export type RawConfig = z.output<typeof configSchema>;

export function settingDocs(): SettingDoc[] {
  return Object.entries(settings).map(([env, s]) => ({ env, description: s.description, defaultText: s.defaultText }));
}
