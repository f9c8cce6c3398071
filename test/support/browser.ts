// Launches Debian's Chromium headless through playwright-core (no downloaded browser builds).
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { chromium, type Browser, type Page } from 'playwright-core';
import { startSmtpSink, type SmtpSink } from './smtp-sink.ts';
import { waitFor } from './wait-for.ts';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export function chromiumAvailable(): boolean {
  return existsSync(CHROMIUM_PATH);
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync', '--disable-quic'],
  });
}

/**
 * Browser tests must run in CI; locally without Chromium they are skipped with a visible reason.
 * In CI (CI=true) a missing browser fails instead, so the suite can never pass silently.
 */
export function describeWithBrowser(name: string, fn: () => void): void {
  if (chromiumAvailable() || process.env.CI === 'true') {
    describe(name, fn);
  } else {
    describe.skip(`${name} (skipped: no Chromium at ${CHROMIUM_PATH}; apt-get install chromium)`, fn);
  }
}

/** A relying party's callback: a tiny page on loopback that the browser lands on. */
export async function startCallbackPage(): Promise<{ url: string; server: Server }> {
  const server = createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>Partner Shop</title><h1>Back at the shop</h1>'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`, server };
}

export interface BrowserFixture {
  browser: Browser;
  sink: SmtpSink;
  callback: Awaited<ReturnType<typeof startCallbackPage>>;
}

/** Registers beforeAll/afterAll hooks: a headless Chromium, an SMTP sink and an RP callback page. */
export function useBrowserFixture(): BrowserFixture {
  const fixture = {} as BrowserFixture;
  beforeAll(async () => {
    fixture.browser = await launchBrowser();
    fixture.sink = await startSmtpSink();
    fixture.callback = await startCallbackPage();
  });
  afterAll(async () => {
    await fixture.browser?.close();
    await fixture.sink?.close();
    fixture.callback?.server.close();
  });
  return fixture;
}

/**
 * Proves a test's CSP recorder is not blind: appends an inline script, which the strict CSP must block,
 * and waits until `csp` (the recorder's list of violations) holds a report.
 */
export async function provokeInlineScriptViolation(page: Page, csp: readonly string[]): Promise<void> {
  await page.evaluate(() => {
    // The page's own globals: the project compiles without lib.dom.
    const { document } = globalThis as unknown as { document: { createElement(tag: 'script'): { textContent: string }; body: { append(node: unknown): void } } };
    const script = document.createElement('script');
    script.textContent = 'void 0';
    document.body.append(script);
  });
  await waitFor(() => csp[0], { timeoutMs: 2000, what: 'no CSP violation reported for an inline script' });
}
