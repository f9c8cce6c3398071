// The one SSRF-safe HTTP client for every request the server makes to a URL it was handed (back-channel
// logout, client jwks_uri / sector_identifier_uri, the SMS webhook, the breached-password service): https
// only in production, no redirects, loopback / private / link-local / special-use targets refused after DNS
// resolution and again on the connected socket (so DNS rebinding between the check and the connect cannot
// slip through), a timeout, and a bounded response body. Our own undici dispatcher, not oidc-provider's: its
// guard cannot be set up under jest's VM modules, and it refuses loopback even in development.
import { lookup as dnsLookup } from 'node:dns';
import type { LookupAddress } from 'node:dns';
import type { LookupFunction } from 'node:net';
import { isIP } from 'node:net';
// undici's own stream type, so the piped body is what its Response takes.
import { TransformStream } from 'node:stream/web';
import { Agent, buildConnector, fetch as undiciFetch, Response as UndiciResponse } from 'undici';
import { classifyAddress } from './special-use-addresses.ts';

/** What a class of targets may reach. */
export interface OutboundPolicy {
  /** Named in logs and audit events. */
  name: string;
  /** Loopback targets (127.0.0.0/8, ::1): a receiver on this machine. Private and link-local ranges never. */
  allowLoopback: boolean;
  /** Only https:, except (when allowLoopback) to a loopback host. */
  requireHttps: boolean;
  timeoutMs: number;
  maxResponseBytes: number;
}

const DEFAULT_TIMEOUT_MS = 5000;
const PARTNER_TIMEOUT_MS = 2500;
/** A JWKS, a sector identifier list or a logout answer is a few kB; 256 KiB is far past any honest one. */
const DEFAULT_MAX_RESPONSE_BYTES = 256 * 1024;
/** How long a registration check waits for DNS before deciding without it (delivery is checked again anyway). */
const REGISTRATION_DNS_WAIT_MS = 3000;

/**
 * URLs that partners and clients give us (back-channel logout, jwks_uri, sector_identifier_uri): loopback
 * only outside production (a developer's receiver on localhost), https only in production.
 */
export function partnerTargets(production: boolean): OutboundPolicy {
  // 2.5 s, as oidc-provider's own default: end_session makes the member wait for its deliveries.
  return { name: 'partner', allowLoopback: !production, requireHttps: production, timeoutMs: PARTNER_TIMEOUT_MS, maxResponseBytes: DEFAULT_MAX_RESPONSE_BYTES };
}

/**
 * URLs the operator set in the environment (SMS_WEBHOOK_URL, PWNED_PASSWORDS_URL): a relay on loopback is a
 * deliberate deployment choice there (config refuses plain http elsewhere in production), private ranges are not.
 */
export function operatorTargets(production: boolean): OutboundPolicy {
  return { name: 'operator', allowLoopback: true, requireHttps: production, timeoutMs: DEFAULT_TIMEOUT_MS, maxResponseBytes: 2 * 1024 * 1024 };
}

export type RefusalReason = 'scheme' | 'loopback_address' | 'special_use_address' | 'redirect' | 'response_too_large';

/** A request this module would not make (or whose answer it would not read); `reason` is a stable code. */
export class OutboundRequestRefused extends Error {
  readonly reason: RefusalReason;

  constructor(reason: RefusalReason, message: string) {
    super(message);
    this.name = 'OutboundRequestRefused';
    this.reason = reason;
  }
}

function addressRefusal(address: string, policy: OutboundPolicy): RefusalReason | undefined {
  const kind = classifyAddress(address);
  if (kind === 'public' || (kind === 'loopback' && policy.allowLoopback)) return undefined;
  return kind === 'loopback' ? 'loopback_address' : 'special_use_address';
}

function refusedAddress(host: string, address: string, reason: RefusalReason): OutboundRequestRefused {
  const what = reason === 'loopback_address' ? 'a loopback address' : 'a private, link-local or special-use address';
  return new OutboundRequestRefused(reason, host === address ? `${address} is ${what}` : `${host} resolves to ${address}, ${what}`);
}

function isLoopbackHost(hostname: string): boolean {
  const bare = hostname.replace(/^\[|\]$/g, '');
  return bare === 'localhost' || (isIP(bare) !== 0 && classifyAddress(bare) === 'loopback');
}

/** The scheme rule, before any DNS: undefined when the URL may be called. */
function schemeRefusal(url: URL, policy: OutboundPolicy): OutboundRequestRefused | undefined {
  if (url.protocol === 'https:') return undefined;
  if (url.protocol === 'http:' && (!policy.requireHttps || (policy.allowLoopback && isLoopbackHost(url.hostname)))) return undefined;
  return new OutboundRequestRefused('scheme', policy.requireHttps ? 'only https URLs are called' : 'only http and https URLs are called');
}

/** Every address of a host name (the system resolver unless a test stands one in). */
export type Resolve = (hostname: string) => Promise<LookupAddress[]>;

const systemResolve: Resolve = (hostname) => new Promise((resolve, reject) => {
  dnsLookup(hostname, { all: true }, (error, addresses) => (error ? reject(error) : resolve(addresses)));
});

/** Resolves every address of the host and refuses them all if any one is refused (a round-robin could pick it). */
function guardedLookup(policy: OutboundPolicy, resolveHost: Resolve): LookupFunction {
  return (hostname, options, callback) => {
    resolveHost(hostname).then((all) => all.filter((entry) => !options.family || entry.family === options.family)).then((addresses) => {
      const refused = addresses.map((entry) => ({ entry, reason: addressRefusal(entry.address, policy) })).find((result) => result.reason);
      if (refused) return callback(refusedAddress(hostname, refused.entry.address, refused.reason!), '', 0);
      if (addresses.length === 0) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
      if (options.all) return (callback as unknown as (error: null, addresses: LookupAddress[]) => void)(null, addresses);
      return callback(null, addresses[0]!.address, addresses[0]!.family);
    }, (error: NodeJS.ErrnoException) => callback(error, '', 0));
  };
}

/** The dispatcher: the guarded lookup, then the connected socket's peer checked once more (IP literals skip DNS). */
function guardedAgent(policy: OutboundPolicy, resolveHost: Resolve): Agent {
  const connectSocket = buildConnector({ lookup: guardedLookup(policy, resolveHost), timeout: policy.timeoutMs });
  const connect: buildConnector.connector = (options, callback) => {
    // An IP literal skips DNS: judged before any packet is sent to it.
    const literal = options.hostname.replace(/^\[|\]$/g, '');
    const literalReason = isIP(literal) !== 0 ? addressRefusal(literal, policy) : undefined;
    if (literalReason) return callback(refusedAddress(literal, literal, literalReason), null);
    return connectSocket(options, (...args) => {
      const [error, socket] = args;
      if (error) return callback(error, null);
      const peer = socket!.remoteAddress;
      const reason = peer === undefined ? 'special_use_address' : addressRefusal(peer, policy);
      if (reason) {
        socket!.destroy();
        return callback(refusedAddress(options.hostname, peer ?? '(unknown)', reason), null);
      }
      return callback(null, socket!);
    });
  };
  return new Agent({ connect, headersTimeout: policy.timeoutMs, bodyTimeout: policy.timeoutMs, connections: 8 });
}

/** What callers pass: a subset of fetch's init that every caller here needs (oidc-provider's included). */
export interface OutboundInit {
  method?: string;
  headers?: ConstructorParameters<typeof Headers>[0];
  body?: string | Uint8Array | URLSearchParams | null;
  /** Ignored: the policy's timeout applies (a caller's signal from another realm would not be honoured). */
  signal?: unknown;
  /** A shorter (or longer) timeout than the policy's, for this request. */
  timeoutMs?: number;
  /** Ignored: redirects are never followed. */
  redirect?: unknown;
  /** Ignored: ours is always used (oidc-provider sets its own, which refuses loopback even in development). */
  dispatcher?: unknown;
}

export interface OutboundClient {
  readonly policy: OutboundPolicy;
  /** fetch with the policy applied; a 3xx answer is refused, and the body is cut off at maxResponseBytes. */
  fetch(url: string | URL, init?: OutboundInit): Promise<Response>;
  /**
   * For registration: why this server would refuse to call `uri` (scheme, or the host is or resolves to an
   * address the policy refuses), or undefined. A host that does not resolve now is let through: every
   * request is checked again when it is made.
   */
  targetProblem(uri: string): Promise<string | undefined>;
  close(): Promise<void>;
}

/** Accepts URLSearchParams from any realm (oidc-provider's, under jest, is not ours). */
function requestBody(body: OutboundInit['body'], headers: Headers): string | Uint8Array | undefined {
  if (body === undefined || body === null) return undefined;
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  if (Object.prototype.toString.call(body) === '[object URLSearchParams]') {
    if (!headers.has('content-type')) headers.set('content-type', 'application/x-www-form-urlencoded;charset=UTF-8');
    return String(body);
  }
  throw new TypeError('outbound request body must be a string, bytes or URLSearchParams');
}

/** The answer with a body that errors once more than `limit` bytes arrive. */
function bounded(response: Awaited<ReturnType<typeof undiciFetch>>, limit: number): Response {
  const declared = Number(response.headers.get('content-length') ?? '0');
  if (declared > limit) {
    void response.body?.cancel().catch(() => undefined);
    throw new OutboundRequestRefused('response_too_large', `answer of ${declared} bytes is over the ${limit}-byte limit`);
  }
  let received = 0;
  const body = response.body?.pipeThrough(new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      received += chunk.byteLength;
      if (received > limit) controller.error(new OutboundRequestRefused('response_too_large', `answer over the ${limit}-byte limit`));
      else controller.enqueue(chunk);
    },
  }));
  return new UndiciResponse(body ?? null, { status: response.status, statusText: response.statusText, headers: response.headers }) as unknown as Response;
}

export function createOutboundClient(policy: OutboundPolicy, options: { resolve?: Resolve } = {}): OutboundClient {
  const resolveHost = options.resolve ?? systemResolve;
  const agent = guardedAgent(policy, resolveHost);

  return {
    policy,

    async fetch(url, init = {}) {
      const target = new URL(url);
      const scheme = schemeRefusal(target, policy);
      if (scheme) throw scheme;
      const literal = target.hostname.replace(/^\[|\]$/g, '');
      const literalReason = isIP(literal) !== 0 ? addressRefusal(literal, policy) : undefined;
      if (literalReason) throw refusedAddress(literal, literal, literalReason);
      const headers = new Headers(init.headers);
      const body = requestBody(init.body, headers);
      const response = await undiciFetch(target, {
        method: init.method ?? 'GET',
        headers: Object.fromEntries(headers),
        ...(body === undefined ? {} : { body }),
        // A redirect could point anywhere (an internal host, plain http): never followed.
        redirect: 'manual',
        signal: AbortSignal.timeout(init.timeoutMs ?? policy.timeoutMs),
        dispatcher: agent,
      }).catch((error: unknown) => {
        // fetch wraps what the lookup or the connector refused in a TypeError; callers get the refusal itself.
        const cause = (error as { cause?: unknown }).cause;
        throw cause instanceof OutboundRequestRefused ? cause : error;
      });
      if (response.status >= 300 && response.status < 400) {
        await response.body?.cancel().catch(() => undefined);
        throw new OutboundRequestRefused('redirect', `answered HTTP ${response.status}, a redirect, which is not followed`);
      }
      return bounded(response, policy.maxResponseBytes);
    },

    async targetProblem(uri) {
      let url: URL;
      try {
        url = new URL(uri);
      } catch {
        return 'must be an absolute URI';
      }
      const scheme = schemeRefusal(url, policy);
      if (scheme) return `must use https: ${scheme.message}`;
      const host = url.hostname.replace(/^\[|\]$/g, '');
      const literal = isIP(host) !== 0 ? [host] : undefined;
      const addresses = literal ?? await Promise.race([
        resolveHost(host).then((entries) => entries.map((entry) => entry.address), () => []),
        new Promise<string[]>((resolve) => setTimeout(resolve, REGISTRATION_DNS_WAIT_MS, []).unref()),
      ]);
      for (const address of addresses) {
        const reason = addressRefusal(address, policy);
        if (reason) return `${refusedAddress(host, address, reason).message}, which this server does not call${reason === 'loopback_address' ? ' in production' : ''}`;
      }
      return undefined;
    },

    async close() {
      await agent.close();
    },
  };
}

/**
 * A short, stable description of why a request failed, for audit events and logs: never a body, header
 * or URL path (which may hold a partner's token).
 */
export function describeOutboundFailure(error: unknown): string {
  if (error instanceof OutboundRequestRefused) return error.reason;
  const status = (error as { response?: { status?: unknown } } | undefined)?.response?.status;
  if (typeof status === 'number') return `http_${status}`;
  const name = (error as { name?: unknown } | undefined)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return 'timeout';
  type Cause = { code?: unknown; errors?: Array<{ code?: unknown }>; reason?: unknown; name?: unknown };
  const cause = (error as { cause?: Cause } | undefined)?.cause;
  if (cause && cause.name === 'OutboundRequestRefused' && typeof cause.reason === 'string') return cause.reason;
  const code = cause?.code ?? cause?.errors?.[0]?.code;
  return typeof code === 'string' && /^[A-Z0-9_]{1,64}$/.test(code) ? `unreachable_${code.toLowerCase()}` : 'unreachable';
}
