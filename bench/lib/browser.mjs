// A scripted member's browser for the benchmarks: a cookie jar, the address it comes from (X-Forwarded-For,
// for a server with TRUST_PROXY), same-origin redirects followed, and one password sign-in through the
// hosted pages from the authorization request to the redirect back to the client.
import { createHash, randomBytes } from 'node:crypto';
import { URLSearchParams } from 'node:url';
import { exchange } from './processes.mjs';

export class Browser {
  /** `client`: { id, redirectUri }; `agent`: a keep-alive http.Agent shared by the run. */
  constructor({ base, ip, client, agent, timeoutMs = 15_000, cookies = {} }) {
    this.base = base;
    this.ip = ip;
    this.client = client;
    this.agent = agent;
    this.timeoutMs = timeoutMs;
    this.jar = new Map(Object.entries(cookies));
  }

  async get(url, init = {}) {
    const headers = { accept: 'text/html', 'x-forwarded-for': this.ip, 'user-agent': 'bench', ...(init.headers ?? {}) };
    if (this.jar.size) headers.cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const response = await exchange(new URL(url, this.base).href, { ...init, headers, agent: this.agent, timeoutMs: this.timeoutMs });
    for (const line of [response.headers['set-cookie'] ?? []].flat()) {
      const [pair] = line.split(';');
      const eq = pair.indexOf('=');
      const value = pair.slice(eq + 1);
      if (value === '' || /max-age=0/i.test(line)) this.jar.delete(pair.slice(0, eq));
      else this.jar.set(pair.slice(0, eq), value);
    }
    return response;
  }

  /** Follows same-origin redirects; stops at a page or at a redirect to the client. */
  async follow(response, url) {
    let current = response;
    let at = url;
    for (let hops = 0; hops < 10 && current.status >= 300 && current.status < 400; hops += 1) {
      at = new URL(current.headers.location, new URL(at, this.base)).href;
      if (at.startsWith(this.client.redirectUri)) return { ...current, url: at };
      current = await this.get(at);
    }
    return { ...current, url: at };
  }

  /** From the authorization request to the sign-in page's form; keeps the PKCE verifier for the exchange. */
  async loginPage() {
    this.verifier = randomBytes(32).toString('base64url');
    const challenge = createHash('sha256').update(this.verifier).digest('base64url');
    const auth = `/auth?${new URLSearchParams({ client_id: this.client.id, response_type: 'code', scope: 'openid', redirect_uri: this.client.redirectUri, code_challenge: challenge, code_challenge_method: 'S256', state: 's' })}`;
    const page = await this.follow(await this.get(auth), auth);
    const csrf = /name="csrf" value="([^"]+)"/.exec(page.text)?.[1];
    const action = /action="(\/interaction\/[^"]+\/login)"/.exec(page.text)?.[1];
    if (!csrf || !action) throw new Error(`no sign-in form: ${page.status} ${page.text.slice(0, 200)}`);
    return { csrf, action };
  }

  /**
   * One password sign-in; the outcome as a member or a bot would see it. On 'signed_in', `this.callback`
   * holds the redirect back to the client (with the code).
   */
  async signIn(email, password) {
    const { csrf, action } = await this.loginPage();
    const posted = await this.get(action, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ csrf, email, password }).toString() });
    if (posted.status === 429) return 'refused';
    if (posted.status === 403) return 'challenged';
    if (posted.status === 400) return 'wrong';
    const end = await this.follow(posted, action);
    if (end.url.startsWith(this.client.redirectUri)) {
      this.callback = end.url;
      return 'signed_in';
    }
    if (end.status === 200 && end.text.includes('/mfa/send"')) return 'step_up';
    return `other ${end.status}`;
  }

  /** The code exchange a public client makes after signIn(): resolves with the token response. */
  async exchangeCode() {
    const code = new URL(this.callback).searchParams.get('code');
    const response = await exchange(new URL('/token', this.base).href, {
      method: 'POST', agent: this.agent, timeoutMs: this.timeoutMs,
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-forwarded-for': this.ip },
      body: new URLSearchParams({ grant_type: 'authorization_code', code, client_id: this.client.id, redirect_uri: this.client.redirectUri, code_verifier: this.verifier }).toString(),
    });
    if (response.status !== 200 || !response.text.includes('"id_token"')) throw new Error(`code exchange failed: ${response.status} ${response.text.slice(0, 200)}`);
    return JSON.parse(response.text);
  }
}
