// SMS over a signed HTTP webhook (SMS_WEBHOOK_URL): the operator's SMS provider, or a small relay in
// front of it, receives JSON and checks an HMAC signature whose timestamp lets it refuse replays.
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import type { Logger } from 'pino';
import { maskPhone } from '../domain/accounts/phone-number.ts';
import type { OutgoingSms, SmsSender } from '../domain/sms/sms-sender.ts';
import { createOutboundClient, operatorTargets, OutboundRequestRefused, type OutboundClient } from '../security/outbound/outbound-fetch.ts';

export const SIGNATURE_HEADER = 'X-Loyalty-Signature';
const DEFAULT_TIMEOUT_MS = 5000;

export interface WebhookSmsSenderOptions {
  url: string;
  /** SMS_WEBHOOK_SECRET, shared with the receiver. */
  secret: string;
  logger: Logger;
  /** How long the provider may take to accept a message (default 5000 ms). */
  timeoutMs?: number;
  /** The SSRF-safe client (operator policy); the container passes the one for NODE_ENV. */
  outbound?: OutboundClient;
}

/** The JSON body of each webhook request. */
export interface SmsWebhookPayload {
  /** UUID v4, new for every message: the provider drops a repeated id. */
  id: string;
  to: string;
  text: string;
  createdAt: string;
}

/** Why a message did not go: the HTTP status when the provider answered; never the text (it holds a code). */
export class SmsDeliveryError extends Error {
  readonly status: number | undefined;

  constructor(message: string, status?: number) {
    super(message);
    this.name = 'SmsDeliveryError';
    this.status = status;
  }
}

function hmacHex(secret: string, timestamp: number, body: string | Buffer): string {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest('hex');
}

/** The X-Loyalty-Signature value for `body` (the exact bytes sent): `t=<unix seconds>,v1=<hex HMAC-SHA256>`. */
export function signWebhookBody(secret: string, timestamp: number, body: string | Buffer): string {
  return `t=${timestamp},v1=${hmacHex(secret, timestamp, body)}`;
}

/**
 * For receivers: true when `header` signs exactly `body` (the raw bytes, before any JSON parsing) with
 * `secret` at a time within `toleranceSeconds` of `nowSeconds`, either way. Several v1 entries are
 * accepted (one per secret during a rotation); each is compared in constant time.
 */
export function verifyWebhookSignature(secret: string, header: string | undefined, body: string | Buffer, nowSeconds: number, toleranceSeconds = 300): boolean {
  if (!header || header.length > 1024) return false;
  let timestamp: number | undefined;
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const [key, value, extra] = part.trim().split('=');
    if (value === undefined || extra !== undefined) return false;
    if (key === 't') {
      if (timestamp !== undefined || !/^\d{1,12}$/.test(value)) return false;
      timestamp = Number(value);
    } else if (key === 'v1') {
      if (!/^[0-9a-f]{64}$/.test(value)) return false;
      signatures.push(Buffer.from(value, 'hex'));
    }
    // Other keys (a future v2) are skipped, as Stripe's receivers do.
  }
  if (timestamp === undefined || signatures.length === 0) return false;
  if (Math.abs(nowSeconds - timestamp) > toleranceSeconds) return false;
  const expected = Buffer.from(hmacHex(secret, timestamp, body), 'hex');
  let match = false;
  for (const signature of signatures) match = timingSafeEqual(signature, expected) || match;
  return match;
}

export function createWebhookSmsSender({ url, secret, logger, timeoutMs = DEFAULT_TIMEOUT_MS, outbound: shared }: WebhookSmsSenderOptions): SmsSender {
  // Standalone (tests, scripts): a client of its own, closed with the sender.
  const outbound = shared ?? createOutboundClient(operatorTargets(false));
  const endpoint = new URL(url);
  if (!secret) throw new Error('SMS webhook: a secret is required');
  // The host is enough to tell which provider failed; the path or query may hold the provider's token.
  const target = `SMS webhook ${endpoint.host}`;
  const inFlight = new Set<Promise<void>>();

  async function post(message: OutgoingSms): Promise<void> {
    const payload: SmsWebhookPayload = { id: randomUUID(), to: message.to, text: message.text, createdAt: new Date().toISOString() };
    const body = JSON.stringify(payload);
    const signature = signWebhookBody(secret, Math.floor(Date.now() / 1000), body);
    let response: Response;
    try {
      // The outbound client never follows a redirect: it would replay the signed body (and its code) to
      // wherever the Location points.
      response = await outbound.fetch(endpoint, {
        method: 'POST',
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature },
        body,
        timeoutMs,
      });
    } catch (error) {
      if (error instanceof OutboundRequestRefused) throw new SmsDeliveryError(`${target} refused: ${error.message} (message ${payload.id})`);
      throw new SmsDeliveryError(`${target} ${describeFailure(error, timeoutMs)} (message ${payload.id})`);
    }
    // The answer's body is not needed (and could be large); dropping it releases the connection.
    await response.body?.cancel().catch(() => undefined);
    if (response.status < 200 || response.status > 299) {
      throw new SmsDeliveryError(`${target} answered HTTP ${response.status} (message ${payload.id})`, response.status);
    }
    logger.info({ to: maskPhone(message.to), id: payload.id }, 'sms sent');
  }

  return {
    async send(message) {
      const sending = post(message);
      const settled = sending.then(() => undefined, () => undefined);
      inFlight.add(settled);
      void settled.then(() => inFlight.delete(settled));
      return sending;
    },
    /** Lets messages already handed over finish (each is bounded by the timeout). */
    async close() {
      await Promise.all(inFlight);
      if (!shared) await outbound.close();
    },
  };
}

/** A message for a failed request that names what went wrong but carries no body, header or secret. */
function describeFailure(error: unknown, timeoutMs: number): string {
  // By name: the abort reason may come from another realm (jest's VM modules) than this module's DOMException.
  const name = (error as { name?: unknown } | undefined)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return `timed out after ${timeoutMs} ms`;
  // fetch wraps the socket error; a refused connection to a dual-stack host wraps one per address.
  type Cause = { code?: unknown; errors?: Array<{ code?: unknown }> };
  const cause = (error as { cause?: Cause } | undefined)?.cause;
  const code = cause?.code ?? cause?.errors?.[0]?.code;
  return typeof code === 'string' && /^[A-Z0-9_]{1,64}$/.test(code) ? `unreachable (${code})` : 'unreachable';
}
