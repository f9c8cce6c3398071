// The bot check in Chromium at a phone's size, before it is wired into any hosted page: a small Koa app
// with the real CSP and static files renders the real partials through the real renderer, and verifies
// what the browser posts with the real BotChallenge. The script must solve, say so politely, hold an early
// submit and send it (same button) once solved, tolerate being loaded twice, leak no globals, and break
// no CSP rule; the honeypot must stay out of sight, out of the tab order and out of the accessibility tree.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { bodyParser } from '@koa/bodyparser';
import Koa from 'koa';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { openSqliteStorage } from '../../adapters/sqlite/index.ts';
import type { Storage } from '../../server/domain/storage.ts';
import { securityHeaders } from '../../server/middleware/koa-security-headers.ts';
import { staticAssets } from '../../server/middleware/koa-static.ts';
import { BotChallenge, type ChallengeCheck, type IssuedChallenge } from '../../server/security/bot-challenge/bot-challenge.ts';
import { honeypotTripped } from '../../server/security/bot-challenge/honeypot.ts';
import { solveChallenge } from '../../server/security/bot-challenge/solve.ts';
import { renderView } from '../../server/views/render.ts';
import { describeWithBrowser, launchBrowser, provokeInlineScriptViolation } from '../support/browser.ts';
import { waitFor } from '../support/wait-for.ts';

const PHONE = { width: 375, height: 812 };
const BINDING = 'interaction-uid-browser';
const FIXTURE_VIEWS = fileURLToPath(new URL('../fixtures/views', import.meta.url));
const PUBLIC_DIR = fileURLToPath(new URL('../../public', import.meta.url));
const WORKING = 'Running a quick security check in your browser…';
const DONE = 'Security check complete.';

interface FormSpec { id: string; withFields?: boolean; botChallenge: IssuedChallenge | null }
interface Received { form: string; body: Record<string, unknown>; verdict: ChallengeCheck; honeypot: boolean }

/** The test's own site: GET / renders `page()`'s forms; POST /submit/<form> verifies and records. */
async function startSite(challenge: BotChallenge, page: () => FormSpec[]) {
  const received: Received[] = [];
  const app = new Koa();
  app.use(securityHeaders(false));
  app.use(staticAssets(PUBLIC_DIR));
  app.use(bodyParser({ enableTypes: ['form'] }));
  app.use(async (ctx) => {
    if (ctx.method === 'GET' && ctx.path === '/') {
      ctx.body = await renderView('bot-challenge/forms', { lang: 'en', forms: page() }, FIXTURE_VIEWS);
    } else if (ctx.method === 'POST' && ctx.path.startsWith('/submit/')) {
      const body = ctx.request.body as Record<string, unknown>;
      const verdict = await challenge.verify(BINDING, body.bot_challenge, body.bot_solution);
      received.push({ form: ctx.path.slice('/submit/'.length), body, verdict, honeypot: honeypotTripped(body) });
      ctx.body = await renderView('bot-challenge/forms', { lang: 'en', verdict }, FIXTURE_VIEWS);
    }
    if (typeof ctx.body === 'string') ctx.type = 'html';
  });
  const server: Server = createServer(app.callback());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, received, server };
}

/** What the page reports through bindings (they outlive navigations, unlike page globals). */
interface Recorded {
  statuses: { form: string; text: string; at: number }[];
  submits: { form: string; solution: string; prevented: boolean; submitter: string | null }[];
  globalsAtStart: string[];
}

/** The little of the browser's globals the page functions below use: the project compiles without lib.dom. */
interface BrowserGlobals {
  performance: { now(): number };
  innerWidth: number;
  MutationObserver: new (callback: (records: MutationLike[]) => void) => { observe(target: unknown, options: Record<string, boolean>): void };
  document: {
    documentElement: { scrollWidth: number };
    activeElement: unknown;
    addEventListener(type: 'securitypolicyviolation', listener: (event: { effectiveDirective: string; blockedURI: string }) => void): void;
    addEventListener(type: 'DOMContentLoaded', listener: () => void): void;
    querySelector(selector: string): { value: string; click(): void } | null;
  };
  getComputedStyle(element: unknown): { display: string };
  reportCspViolation(violation: string): Promise<void>;
  reportEarlyClick(clicked: boolean): Promise<void>;
  reportBotTest<K extends keyof Recorded>(kind: K, entry: Recorded[K] extends (infer E)[] ? E : never): Promise<void>;
  addEventListener(type: 'submit', listener: (event: SubmitLike) => void): void;
}
interface MutationLike {
  type: string;
  target: { matches?(selector: string): boolean; closest(selector: string): { id: string } | null };
  addedNodes: Iterable<{ textContent: string | null }>;
}
interface SubmitLike {
  target: { id: string; querySelector(selector: string): { value: string } | null };
  defaultPrevented: boolean;
  submitter: { value: string } | null;
}

/** A phone-sized page that records console errors, CSP violations, status texts and every submit event. */
async function phonePage(browser: Browser) {
  const context: BrowserContext = await browser.newContext({ viewport: PHONE, isMobile: true, hasTouch: true });
  const problems = { console: [] as string[], csp: [] as string[] };
  const seen: Recorded = { statuses: [], submits: [], globalsAtStart: [] };
  await context.exposeBinding('reportCspViolation', (_source, violation: string) => void problems.csp.push(violation));
  await context.exposeBinding('reportBotTest', (_source, kind: keyof Recorded, entry: unknown) => void (seen[kind] as unknown[]).push(entry));
  await context.addInitScript(() => {
    const browser = globalThis as unknown as BrowserGlobals;
    for (const name of Object.getOwnPropertyNames(globalThis)) void browser.reportBotTest('globalsAtStart', name);
    browser.document.addEventListener('securitypolicyviolation', (event) => {
      void browser.reportCspViolation(`${event.effectiveDirective} blocked ${event.blockedURI || 'inline'}`);
    });
    // Every text a status line is given, in order, even the same text twice (a second solver would show).
    new browser.MutationObserver((records) => {
      for (const record of records) {
        const line = record.target as Required<MutationLike['target']>;
        if (record.type !== 'childList' || typeof line.matches !== 'function' || !line.matches('[data-bot-status]')) continue;
        for (const node of record.addedNodes) {
          void browser.reportBotTest('statuses', { form: line.closest('form')?.id ?? '', text: node.textContent ?? '', at: browser.performance.now() });
        }
      }
    }).observe(browser.document, { childList: true, subtree: true });
    // A window listener runs after the form's own: it sees whether the script held the submit.
    browser.addEventListener('submit', (event) => {
      void browser.reportBotTest('submits', {
        form: event.target.id,
        solution: event.target.querySelector('input[name=bot_solution]')?.value ?? '',
        prevented: event.defaultPrevented,
        submitter: event.submitter?.value ?? null,
      });
    });
  });
  const page = await context.newPage();
  page.on('console', (message) => message.type() === 'error' && problems.console.push(message.text()));
  page.on('pageerror', (error) => problems.console.push(`uncaught: ${error.message}`));
  return { context, page, problems, seen };
}

const solutionOf = (page: Page, form: string) => page.locator(`#${form} input[name=bot_solution]`).inputValue();

/** A fresh challenge whose smallest answer is at least `min`: the browser then needs at least that many hashes. */
function lateChallenge(challenge: BotChallenge, min: number): { issued: IssuedChallenge; nonce: string } {
  for (;;) {
    const issued = challenge.issue(BINDING);
    const nonce = solveChallenge(issued.token, issued.difficulty);
    if (Number(nonce) >= min) return { issued, nonce };
  }
}

describeWithBrowser('bot challenge in Chromium', () => {
  let browser: Browser;
  let storage: Storage;
  let challenge: BotChallenge;
  let site: Awaited<ReturnType<typeof startSite>>;
  let forms: FormSpec[] = [];
  const contexts: BrowserContext[] = [];
  const open = async () => {
    const opened = await phonePage(browser);
    contexts.push(opened.context);
    return opened;
  };

  beforeAll(async () => {
    browser = await launchBrowser();
    storage = await openSqliteStorage({ dataDir: ':memory:' });
    challenge = new BotChallenge({ key: Buffer.alloc(32, 3), difficulty: 16, ttlSeconds: 600, uses: storage.factors });
    site = await startSite(challenge, () => forms);
  });
  afterAll(async () => {
    for (const context of contexts) await context.close();
    await browser?.close();
    site?.server.close();
    await storage?.close();
  });
  beforeEach(() => {
    site.received.length = 0;
  });

  test('solves a difficulty-16 challenge, says so, and the server accepts the answer; no errors, no CSP breach, no globals', async () => {
    forms = [{ id: 'sign-up', withFields: true, botChallenge: challenge.issue(BINDING) }];
    const { page, problems, seen } = await open();
    await page.goto(site.url);
    await page.getByText(DONE).waitFor();
    expect(await solutionOf(page, 'sign-up')).toBe(solveChallenge(forms[0]!.botChallenge!.token, 16));
    expect(seen.statuses.map((s) => s.text)).toEqual([WORKING, DONE]);
    await expect(page.locator('[data-bot-status]').getAttribute('aria-live')).resolves.toBe('polite');

    const globals = await page.evaluate(() => Object.getOwnPropertyNames(globalThis));
    expect(seen.globalsAtStart).toContain('document');
    expect(globals.filter((name) => !seen.globalsAtStart.includes(name))).toEqual([]);
    expect(await page.evaluate(() => {
      const { document, innerWidth } = globalThis as unknown as BrowserGlobals;
      return document.documentElement.scrollWidth <= innerWidth;
    })).toBe(true);

    await page.getByLabel('Email').fill('ada@example.com');
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.locator('#verdict').waitFor();
    expect(site.received).toEqual([expect.objectContaining({ form: 'sign-up', verdict: 'ok', honeypot: false, body: expect.objectContaining({ action: 'continue', website: '' }) })]);
    await expect(page.locator('#verdict').textContent()).resolves.toBe('ok');
    expect(problems).toEqual({ console: [], csp: [] });

    // The CSP recorder is not blind: an inline script is reported.
    await provokeInlineScriptViolation(page, problems.csp);
  });

  test('holds a submit clicked before the answer, then sends it with the same button and a valid answer', async () => {
    const { context, page, problems, seen } = await open();
    // The click must come first: at DOMContentLoaded, right after the solver's first slice, and only if the
    // answer is not in yet (checked and clicked in one task, so the solver cannot slip in between).
    const early: boolean[] = [];
    await context.exposeBinding('reportEarlyClick', (_source, clicked: boolean) => void early.push(clicked));
    await context.addInitScript(() => {
      const browser = globalThis as unknown as BrowserGlobals;
      browser.document.addEventListener('DOMContentLoaded', () => {
        const solution = browser.document.querySelector('#sign-in input[name=bot_solution]');
        if (!solution) return;
        const clicked = solution.value === '';
        if (clicked) browser.document.querySelector('#sign-in button[value=cancel]')!.click();
        void browser.reportEarlyClick(clicked);
      });
    });
    // A slow phone: the CPU slowed fourfold.
    const cdp = await context.newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 4 });
    let nonce = '';
    // At least 30,000 hashes (several slices) leaves the click plenty of room; should the solver still win, try another.
    for (let attempt = 0; attempt < 5 && !nonce; attempt += 1) {
      const late = lateChallenge(challenge, 30_000);
      forms = [{ id: 'sign-in', botChallenge: late.issued }];
      seen.submits.length = seen.statuses.length = 0;
      await page.goto(site.url, { waitUntil: 'commit' });
      if (await waitFor(() => early[attempt], { timeoutMs: 10_000, what: 'the page reported no early click' })) nonce = late.nonce;
    }
    await page.locator('#verdict').waitFor({ timeout: 20_000 });
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });

    expect(nonce).not.toBe('');
    expect(seen.submits).toEqual([
      { form: 'sign-in', solution: '', prevented: true, submitter: 'cancel' },
      { form: 'sign-in', solution: nonce, prevented: false, submitter: 'cancel' },
    ]);
    expect(seen.statuses.map((s) => s.text)).toEqual([WORKING, DONE]);
    expect(site.received).toEqual([expect.objectContaining({ form: 'sign-in', verdict: 'ok', body: expect.objectContaining({ action: 'cancel', bot_solution: nonce }) })]);
    expect(problems).toEqual({ console: [], csp: [] });
  });

  test('every form on a page is solved once, whatever its token length, with the script loaded several times', async () => {
    // Lengths around the 64-byte block edge and past it: one and two final blocks, digits growing across it.
    const lengths = [1, 49, 50, 51, 52, 53, 54, 55, 63, 64, 95, 130];
    const tokenOf = (length: number) => createHash('sha256').update(String(length)).digest('base64url').repeat(6).slice(0, length);
    forms = [...lengths.map((length) => ({ id: `f${length}`, botChallenge: { token: tokenOf(length), difficulty: 10 } })), { id: 'plain', botChallenge: null }];
    const { page, problems, seen } = await open();
    await page.goto(site.url);
    await expect(page.locator('script[src="/static/bot-challenge.js"]').count()).resolves.toBe(lengths.length);
    await waitFor(() => (seen.statuses.filter((s) => s.text === DONE).length >= lengths.length ? true : undefined), { timeoutMs: 10_000, what: 'every form solved' });
    for (const length of lengths) {
      expect([length, await solutionOf(page, `f${length}`)]).toEqual([length, solveChallenge(tokenOf(length), 10)]);
      expect(seen.statuses.filter((s) => s.form === `f${length}`).map((s) => s.text)).toEqual([WORKING, DONE]);
    }

    // A form marked for the check but given none posts at once, untouched.
    await page.locator('#plain').getByRole('button', { name: 'Continue' }).click();
    await page.locator('#verdict').waitFor();
    expect(seen.submits).toEqual([{ form: 'plain', solution: '', prevented: false, submitter: 'continue' }]);
    expect(site.received).toEqual([expect.objectContaining({ form: 'plain', verdict: 'missing' })]);
    expect(problems).toEqual({ console: [], csp: [] });
  });

  test('measures the hash rate on a difficulty-20 challenge (logged, not asserted)', async () => {
    const harder = new BotChallenge({ key: Buffer.alloc(32, 3), difficulty: 20, ttlSeconds: 600, uses: storage.factors });
    forms = [{ id: 'rate', botChallenge: harder.issue(BINDING) }];
    const { page, seen } = await open();
    await page.goto(site.url);
    await page.getByText(DONE).waitFor({ timeout: 20_000 });
    const [working, done] = seen.statuses;
    const hashes = Number(await solutionOf(page, 'rate')) + 1;
    const seconds = (done!.at - working!.at) / 1000;
    process.stdout.write(`bot challenge: Chromium solved a 2^20 challenge in ${hashes} hashes, ${seconds.toFixed(2)} s: ${Math.round(hashes / seconds)} hashes/s\n`);
    expect([working!.text, done!.text]).toEqual([WORKING, DONE]);
  });

  test('the honeypot is out of sight, out of the tab order and out of the accessibility tree, yet a bot fills it', async () => {
    forms = [{ id: 'sign-up', withFields: true, botChallenge: null }];
    const { page } = await open();
    await page.goto(site.url);
    const trap = page.locator('input[name=website]');
    await expect(trap.count()).resolves.toBe(1);
    const box = await trap.boundingBox();
    expect(box!.x + box!.width).toBeLessThanOrEqual(0);
    await expect(trap.evaluate((el) => (globalThis as unknown as BrowserGlobals).getComputedStyle(el).display)).resolves.not.toBe('none');
    await expect(page.getByRole('textbox', { name: 'Leave this field empty' }).count()).resolves.toBe(0);
    await expect(page.getByRole('textbox').count()).resolves.toBe(1);
    await page.getByLabel('Email').focus();
    await page.keyboard.press('Tab');
    await expect(page.getByRole('button', { name: 'Continue' }).evaluate((el) => el === (globalThis as unknown as BrowserGlobals).document.activeElement)).resolves.toBe(true);

    await trap.fill('https://spam.example', { force: true });
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.locator('#verdict').waitFor();
    expect(site.received).toEqual([expect.objectContaining({ honeypot: true, verdict: 'missing' })]);
  });
});
