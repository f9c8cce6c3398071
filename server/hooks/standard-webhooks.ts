// Standard Webhooks signing (webhook-id, webhook-timestamp, webhook-signature: v1,base64(HMAC-SHA256)) for the
// hooks' callouts, so the operator's endpoint can verify the call is ours with any Standard Webhooks library.
import { createHmac, randomBytes, randomUUID } from 'node:crypto';

const PREFIX = 'whsec_';

/** A new secret in the spec's form: whsec_ + base64 of 24 random bytes. */
export function newWebhookSecret(): string {
  return `${PREFIX}${randomBytes(24).toString('base64')}`;
}

export function signatureFor(secret: string, id: string, timestampSeconds: number, body: string): string {
  const key = Buffer.from(secret.startsWith(PREFIX) ? secret.slice(PREFIX.length) : secret, 'base64');
  return `v1,${createHmac('sha256', key).update(`${id}.${timestampSeconds}.${body}`).digest('base64')}`;
}

/** The three headers for one message (a fresh id per call: hooks are not retried). */
export function signedHeaders(secret: string, body: string, now = new Date()): Record<string, string> {
  const id = `msg_${randomUUID()}`;
  const timestamp = Math.floor(now.getTime() / 1000);
  return { 'webhook-id': id, 'webhook-timestamp': String(timestamp), 'webhook-signature': signatureFor(secret, id, timestamp, body) };
}
