// Breached-password check against a k-anonymity range API (the Pwned Passwords protocol): only the first
// five hex characters of the password's SHA-1 leave the server; the answer lists the suffixes that share
// them. Fails open (with a log line) so an outage never stops sign-ups; the shipped list still applies.
import { createHash } from 'node:crypto';
import type { Logger } from 'pino';
import type { BreachedPasswords } from '../domain/accounts/breached-passwords.ts';
import { createOutboundClient, operatorTargets, type OutboundClient } from '../security/outbound/outbound-fetch.ts';

const TIMEOUT_MS = 1500;
/** A range answer is ~30 kB; anything far larger is not one. */
const MAX_BODY = 2 * 1024 * 1024;

/** For callers that pass none (tests, scripts); the container passes the client for NODE_ENV. */
let standalone: OutboundClient | undefined;

export function createRangeBreachedPasswords(baseUrl: string, logger: Logger, timeoutMs = TIMEOUT_MS, outbound?: OutboundClient): BreachedPasswords {
  const client = outbound ?? (standalone ??= createOutboundClient(operatorTargets(false)));
  const base = baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`;
  return {
    async isBreached(password) {
      const digest = createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase();
      const prefix = digest.slice(0, 5);
      const suffix = digest.slice(5);
      try {
        // Add-Padding: the answer's size says nothing about the prefix to someone watching the wire.
        // Through the SSRF-safe client: no redirect is followed, the answer's size is bounded.
        const response = await client.fetch(`${base}${prefix}`, {
          headers: { 'Add-Padding': 'true', 'User-Agent': 'loyalty-idp' },
          timeoutMs,
        });
        if (!response.ok) throw new Error(`range service answered ${response.status}`);
        const body = await response.text();
        if (body.length > MAX_BODY) throw new Error('range service answer too large');
        return body.split('\n').some((line) => {
          const [candidate, count] = line.trim().split(':');
          return candidate?.toUpperCase() === suffix && Number(count) > 0;
        });
      } catch (error) {
        logger.warn({ err: error }, 'breached-password service unavailable: the shipped list alone decides');
        return false;
      }
    },
  };
}
