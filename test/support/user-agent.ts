// A minimal browser stand-in for HTTP-level flow tests: a cookie jar, manual redirects, form reading.
export interface Page {
  url: string;
  status: number;
  body: string;
  headers: Headers;
}

export class UserAgent {
  private readonly jar = new Map<string, string>();

  private readonly origin: string;

  /** Sent with every request (e.g. the X-Forwarded-For a trusted proxy would add for this client). */
  private readonly extraHeaders: Record<string, string>;

  constructor(origin: string, headers: Record<string, string> = {}) {
    this.origin = origin;
    this.extraHeaders = headers;
  }

  /** The cookie `name` as this browser holds it (tests hand a device cookie to a "second tab"). */
  cookie(name: string): string | undefined {
    return this.jar.get(name);
  }

  setCookie(name: string, value: string): void {
    this.jar.set(name, value);
  }

  /** Another tab of this browser that goes its own way from now on: same cookies (device id) at this moment. */
  clone(headers: Record<string, string> = {}): UserAgent {
    const other = new UserAgent(this.origin, { ...this.extraHeaders, ...headers });
    for (const [name, value] of this.jar) other.jar.set(name, value);
    return other;
  }

  private store(headers: Headers): void {
    for (const line of headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attributes.some((a) => /^\s*expires=/i.test(a) && new Date(a.split('=')[1]!).getTime() < Date.now())
        || attributes.some((a) => /^\s*max-age=0/i.test(a)) || value === '';
      if (expired) this.jar.delete(name);
      else this.jar.set(name, value);
    }
  }

  /** `url` made absolute against this browser's origin (the server under test). */
  resolve(url: string): string {
    return new URL(url, this.origin).href;
  }

  cookieHeader(): string {
    return [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
  }

  /** One request, no redirect following. */
  async request(url: string, init: { method?: string; form?: Record<string, string>; headers?: Record<string, string> } = {}): Promise<Page> {
    const absolute = this.resolve(url);
    const headers: Record<string, string> = { accept: 'text/html', ...this.extraHeaders, ...init.headers };
    if (new URL(absolute).origin === this.origin && this.jar.size) headers.cookie = this.cookieHeader();
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const response = await fetch(absolute, { method: init.method ?? (init.form ? 'POST' : 'GET'), headers, body, redirect: 'manual' });
    if (new URL(absolute).origin === this.origin) this.store(response.headers);
    return { url: absolute, status: response.status, body: await response.text(), headers: response.headers };
  }

  /**
   * Follows redirects on this origin; stops at the first page (2xx/4xx) or at a redirect leaving the
   * origin (e.g. to a client's redirect_uri), which it returns without fetching.
   */
  async follow(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Page> {
    let page = await this.request(url, init);
    for (let hops = 0; hops < 20 && page.status >= 300 && page.status < 400; hops += 1) {
      const location = new URL(page.headers.get('location')!, page.url).href;
      if (new URL(location).origin !== this.origin) return { ...page, url: location };
      page = await this.request(location);
    }
    return page;
  }

  /** Submits the form whose action contains `actionPart`, with its hidden fields plus `fields`. */
  async submit(page: Page, actionPart: string, fields: Record<string, string> = {}): Promise<Page> {
    const form = findForm(page.body, actionPart);
    return this.follow(new URL(form.action, page.url).href, { form: { ...form.hidden, ...fields } });
  }
}

export function findForm(html: string, actionPart: string): { action: string; hidden: Record<string, string> } {
  const forms = [...html.matchAll(/<form\b[^>]*>([\s\S]*?)<\/form>/g)];
  for (const match of forms) {
    const action = decode(/action="([^"]*)"/.exec(match[0])?.[1] ?? '');
    if (!action.includes(actionPart)) continue;
    const hidden: Record<string, string> = {};
    for (const input of match[1]!.matchAll(/<input\b[^>]*>/g)) {
      if (!/type="hidden"/.test(input[0])) continue;
      const name = /name="([^"]*)"/.exec(input[0])?.[1];
      const value = /value="([^"]*)"/.exec(input[0])?.[1] ?? '';
      if (name) hidden[decode(name)] = decode(value);
    }
    return { action, hidden };
  }
  throw new Error(`no form with action containing ${actionPart}; page:\n${html.slice(0, 2000)}`);
}

function decode(value: string): string {
  return value.replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/&#39;|&#x27;/g, "'").replace(/&lt;/g, '<').replace(/&gt;/g, '>');
}
