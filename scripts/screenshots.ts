// `npm run screenshots`: the sign-in page in each language at a phone's width (375 CSS px), rendered by a
// fresh server on a temporary data directory and saved as docs/screenshots/<locale>.png for the README.
// Chromium comes from CHROMIUM_PATH (default /usr/bin/chromium), driven by playwright-core.
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { loadConfig } from '../config/index.ts';
import { buildApp } from '../server/app.ts';
import { createContainer } from '../server/container.ts';

const LOCALES = ['en', 'es', 'pt-BR', 'fr', 'pl'];
const OUT_DIR = fileURLToPath(new URL('../docs/screenshots/', import.meta.url));
const VIEWPORT = { width: 375, height: 812 };

async function main(): Promise<void> {
  const dataDir = mkdtempSync(join(tmpdir(), 'idp-screenshots-'));
  // Listen first: the issuer must name the port the pages are served from.
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  // A throwaway development server: its own keys and store, no mail leaves (dev outbox), logs off.
  const config = loadConfig({ NODE_ENV: 'development', ISSUER: origin, DATA_DIR: dataDir, LOG_LEVEL: 'silent', KEY_ENCRYPTION_KEY: randomBytes(32).toString('hex') });
  const container = await createContainer(config);
  server.on('request', buildApp(container).provider.callback());
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', headless: true, args: ['--no-sandbox', '--disable-gpu'] });
  try {
    mkdirSync(OUT_DIR, { recursive: true });
    for (const locale of LOCALES) {
      // The browser's language picks the page's (Accept-Language): what a member in that market gets.
      const context = await browser.newContext({ locale, viewport: VIEWPORT, deviceScaleFactor: 2, colorScheme: 'light', reducedMotion: 'reduce' });
      const page = await context.newPage();
      // The account pages send a signed-out browser to the hosted sign-in page.
      await page.goto(`${origin}/account/security`, { waitUntil: 'networkidle' });
      await page.locator('#password').waitFor();
      const file = join(OUT_DIR, `${locale}.png`);
      await page.screenshot({ path: file, fullPage: true });
      await context.close();
      process.stdout.write(`${file}\n`);
    }
  } finally {
    await browser.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await container.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

await main();
