// Who is asking, for code far from the HTTP layer (SMS pumping limits, audit events): the client address
// and user agent of the request in progress, carried by AsyncLocalStorage instead of through every call.
import { AsyncLocalStorage } from 'node:async_hooks';

export interface RequestScope {
  requestId: string;
  /** The client address: the socket's, or with TRUST_PROXY the one our proxy appended (see clientAddress). */
  ip: string;
  userAgent: string | null;
  /** The relying party of the interaction this request serves, once loaded (sign-in events name it). */
  clientId?: string;
}

const scope = new AsyncLocalStorage<RequestScope>();

export function runInRequestScope<T>(value: RequestScope, fn: () => T): T {
  return scope.run(value, fn);
}

/** The request this code runs for; undefined in timers, sweeps and boot code. */
export function currentRequest(): RequestScope | undefined {
  return scope.getStore();
}

/**
 * The address to count and log. Koa is told to read only the last X-Forwarded-For entry (app.maxIpsCount
 * = 1), the one our own proxy appended: earlier entries are whatever the client sent, so trusting them
 * would let anyone escape per-address limits by sending a fresh X-Forwarded-For with every request.
 * IPv4-mapped IPv6 ("::ffff:203.0.113.9") is written as IPv4 so both spellings count as one address.
 */
export function clientAddress(ip: string): string {
  const trimmed = ip.trim();
  return /^::ffff:\d{1,3}(\.\d{1,3}){3}$/i.test(trimmed) ? trimmed.slice(7) : trimmed;
}

/** A user agent fit for a log line: at most 256 characters. */
export function userAgentOf(header: string): string | null {
  return header ? header.slice(0, 256) : null;
}
