// Starts the real server (real HTTP, real storage) on a loopback port for a test file.
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { loadConfig } from '../../config/index.ts';
import { buildApp } from '../../server/app.ts';
import { createContainer, type Container } from '../../server/container.ts';
import { dropMongoDatabase } from '../../adapters/mongo/drop-database.ts';
import { mongoTestUri } from './mongo-uri.ts';

export type StoreKind = 'sqlite' | 'mongo';

export const ADMIN_CLIENT_ID = 'test-admin';
export const ADMIN_CLIENT_SECRET = 'test-admin-secret-0123456789abcdef';

export interface TestServer {
  url: string;
  container: Container;
  server: Server;
  adminToken(): Promise<string>;
  close(): Promise<void>;
}

export interface TestServerOptions {
  store: StoreKind;
  env?: Record<string, string>;
  /** Reuse a data directory / Mongo database (two processes on one store). */
  dataDir?: string;
  mongoDb?: string;
  /** The host name in the issuer URL (the server still listens on 127.0.0.1). Passkeys need a domain, not an IP. */
  publicHost?: string;
  /** Capture the server's logs (pino destination) instead of discarding them. */
  logDestination?: { write(line: string): void };
}

async function listen(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

export async function startTestServer(options: TestServerOptions): Promise<TestServer> {
  const { server, port } = await listen();
  const ownDataDir = !options.dataDir;
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'idp-test-'));
  const url = `http://${options.publicHost ?? '127.0.0.1'}:${port}`;
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    ISSUER: url,
    DATA_DIR: dataDir,
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    KEY_ENCRYPTION_KEY: process.env.TEST_KEK ?? sharedKek,
    BOOTSTRAP_ADMIN_CLIENT_ID: ADMIN_CLIENT_ID,
    BOOTSTRAP_ADMIN_CLIENT_SECRET: ADMIN_CLIENT_SECRET,
    CODE_RESEND_COOLDOWN_SECONDS: '0',
    // Every test browser comes from 127.0.0.1: per-address limits would turn one file's many members into
    // an "attack". The attack-protection tests (test/security) set the real thresholds back.
    SIGN_UPS_PER_IP_PER_HOUR: '100000',
    STUFFING_ACCOUNTS_PER_IP: '10000',
    SIGN_IN_IP_FAILURES_PER_DAY: '100000',
    // Files reuse one wrong password across many members, and one member may ask many codes: the
    // password-spraying and code-budget tests set the real thresholds back.
    SPRAY_ACCOUNTS_PER_PASSWORD: '10000',
    CODES_PER_ACCOUNT_PER_DAY: '1000',
    CODE_FAILURES_PER_ACCOUNT_PER_DAY: '1000',
    // Most flows sign a member in from a fresh test browser; the risk tests turn this back on.
    RISK_NEW_DEVICE_STEP_UP: 'false',
    // The program's default countries, plus GB: most SMS tests text the +44 7911 range (test/support/phone.ts).
    SMS_COUNTRIES: 'MX,BR,FR,PL,AR,CO,CL,PE,GB',
    SMS_PER_IP_PER_HOUR: '10000',
    SMS_PER_NUMBER_PER_HOUR: '100',
    // Tests solve challenges in the server's own process: a real difficulty would stall it for seconds.
    BOT_CHALLENGE_DIFFICULTY: '12',
    ...(options.store === 'mongo' ? { MONGODB_URI: mongoTestUri(options.mongoDb ?? `idp_${randomUUID().replace(/-/g, '').slice(0, 16)}`) } : {}),
    ...options.env,
  };
  const config = loadConfig(env);
  const logger = options.logDestination ? pino({ level: 'trace' }, options.logDestination) : undefined;
  const container = await createContainer(config, logger ? { logger } : {});
  const app = buildApp(container);
  server.on('request', app.provider.callback());

  return {
    url,
    container,
    server,
    async adminToken() {
      const response = await fetch(`${url}/token`, {
        method: 'POST',
        headers: {
          authorization: `Basic ${Buffer.from(`${ADMIN_CLIENT_ID}:${ADMIN_CLIENT_SECRET}`).toString('base64')}`,
          'content-type': 'application/x-www-form-urlencoded',
        },
        body: 'grant_type=client_credentials&scope=admin',
      });
      const body = (await response.json()) as { access_token?: string };
      if (!body.access_token) throw new Error(`admin token: ${JSON.stringify(body)}`);
      return body.access_token;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await container.close();
      if (ownDataDir) rmSync(dataDir, { recursive: true, force: true });
      // Leave nothing behind on a real MongoDB; shared databases are dropped by whoever created them.
      if (config.mongodbUri && !options.mongoDb) await dropMongoDatabase(config.mongodbUri);
    },
  };
}

/** One KEK per test process, so servers sharing a store in one test can read each other's keys. */
const sharedKek = randomBytes(32).toString('hex');

/** The adapters every cross-adapter suite runs against. */
export const STORES: StoreKind[] = ['sqlite', 'mongo'];
