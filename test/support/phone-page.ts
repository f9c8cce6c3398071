// A Chromium page at a phone's (or tablet's) size that records CSP violations, console errors and uncaught errors.
import type { Browser, BrowserContext, BrowserContextOptions, Page } from 'playwright-core';
import { launchBrowser } from './browser.ts';
import type { UserAgent } from './user-agent.ts';

export const PHONE = { width: 375, height: 812 };
export const TABLET = { width: 768, height: 1024 };

/** The little of the browser's globals these helpers use (the project compiles without lib.dom). */
interface PageGlobals {
  document: {
    documentElement: { scrollWidth: number };
    addEventListener(type: 'securitypolicyviolation', listener: (event: { effectiveDirective: string; blockedURI: string }) => void): void;
  };
  innerWidth: number;
  reportCspViolation(violation: string): Promise<void>;
}

/** Every CSP violation in the context's pages lands in `problems`, as "<directive> blocked <uri|inline>". */
export async function recordCspViolations(context: BrowserContext, problems: string[]): Promise<void> {
  await context.exposeBinding('reportCspViolation', (_source, violation: string) => void problems.push(violation));
  await context.addInitScript(() => {
    const globals = globalThis as unknown as PageGlobals;
    globals.document.addEventListener('securitypolicyviolation', (event) => void globals.reportCspViolation(`${event.effectiveDirective} blocked ${event.blockedURI || 'inline'}`));
  });
}

/** A new page whose console errors and uncaught errors land in `problems` (call recordCspViolations first). */
export async function watchedPage(context: BrowserContext, problems: string[]): Promise<Page> {
  const page = await context.newPage();
  page.on('console', (message) => message.type() === 'error' && problems.push(message.text()));
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  return page;
}

/** A touch context of the given size recording every problem into `problems`, and its one page. */
export async function openWatchedContext(browser: Browser, problems: string[], options: BrowserContextOptions = { viewport: PHONE, isMobile: true, hasTouch: true }): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext(options);
  await recordCspViolations(context, problems);
  return { context, page: await watchedPage(context, problems) };
}

/** Copies the HTTP browser's session, its signature and the device cookie into a Chromium context. */
export async function addSessionCookies(context: BrowserContext, serverUrl: string, ua: UserAgent): Promise<void> {
  const { hostname } = new URL(serverUrl);
  await context.addCookies(['_session', '_session.sig', 'device'].map((name) => ({ name, value: ua.cookie(name)!, domain: hostname, path: '/', httpOnly: true, sameSite: 'Lax' as const })));
}

/** Whether the page is wider than the viewport (the member would have to scroll sideways). */
export function scrollsSideways(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    const { document, innerWidth } = globalThis as unknown as PageGlobals;
    return document.documentElement.scrollWidth > innerWidth;
  });
}

export interface WatchedBrowser {
  /** Every CSP violation, console error and uncaught error of the pages opened through `open`. */
  readonly problems: string[];
  /** A new context (a phone by default) recording into `problems`, and its one page; closed after the file. */
  open(options?: BrowserContextOptions): Promise<{ context: BrowserContext; page: Page }>;
}

/** Registers beforeAll/afterAll hooks: one headless Chromium for the file, its contexts closed at the end. */
export function useWatchedBrowser(): WatchedBrowser {
  let browser: Browser | undefined;
  const contexts: BrowserContext[] = [];
  const problems: string[] = [];
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
  });
  return {
    problems,
    async open(options) {
      const opened = await openWatchedContext(browser!, problems, options);
      contexts.push(opened.context);
      return opened;
    },
  };
}
