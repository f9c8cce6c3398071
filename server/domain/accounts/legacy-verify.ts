// Trickle migration: asks the old system whether an email and password are one of its members (LEGACY_VERIFY_URL),
// in a request signed like Standard Webhooks, through the SSRF-safe outbound client. Any answer but a well-formed
// "valid" one is a refusal: the caller answers exactly as for a wrong password.
import { createHmac, randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Logger } from 'pino';
import type { OutboundClient } from '../../security/outbound/outbound-fetch.ts';

/** What the old system tells us about a member it recognised. */
export interface LegacyProfile {
  emailVerified: boolean;
  profile: Record<string, string>;
}

export interface LegacyVerifier {
  /** The member's profile when the old system accepted this email and password; undefined for anything else. */
  verify(email: string, password: string): Promise<LegacyProfile | undefined>;
}

const name = z.string().trim().min(1).max(200);
const answerSchema = z.discriminatedUnion('valid', [
  z.object({
    valid: z.literal(true),
    email_verified: z.boolean(),
    given_name: name.optional(),
    family_name: name.optional(),
    locale: z.string().regex(/^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8}){0,3}$/).optional(),
  }),
  z.object({ valid: z.literal(false) }),
]);

/** Standard Webhooks headers: the receiver verifies them with any Standard Webhooks library (key: the secret's bytes). */
export function signLegacyRequest(secret: string, body: string, now = new Date()): Record<string, string> {
  const id = `msg_${randomUUID()}`;
  const timestamp = String(Math.floor(now.getTime() / 1000));
  const signature = createHmac('sha256', Buffer.from(secret, 'utf8')).update(`${id}.${timestamp}.${body}`).digest('base64');
  return { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${signature}` };
}

export function createLegacyVerifier(options: { url: string; secret: string; outbound: OutboundClient; logger: Logger }): LegacyVerifier {
  const { url, secret, outbound, logger } = options;
  return {
    async verify(email, password) {
      const body = JSON.stringify({ email, password });
      try {
        const response = await outbound.fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', accept: 'application/json', ...signLegacyRequest(secret, body) },
          body,
        });
        if (response.status !== 200) {
          logger.warn({ status: response.status }, 'legacy password check answered with an error status');
          return undefined;
        }
        const parsed = answerSchema.safeParse(JSON.parse(await response.text()));
        if (!parsed.success) {
          logger.warn('legacy password check answered something other than its contract');
          return undefined;
        }
        if (!parsed.data.valid) return undefined;
        const { email_verified: emailVerified, given_name, family_name, locale } = parsed.data;
        const profile: Record<string, string> = {};
        if (given_name !== undefined) profile.given_name = given_name;
        if (family_name !== undefined) profile.family_name = family_name;
        if (locale !== undefined) profile.locale = locale;
        return { emailVerified, profile };
      } catch (error) {
        // Timeout, refused target, bad JSON: never the member's fault to see, never a different answer.
        logger.warn({ err: error instanceof Error ? { name: error.name, message: error.message } : String(error) }, 'legacy password check failed');
        return undefined;
      }
    },
  };
}
