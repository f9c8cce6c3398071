// Partner logos (client metadata logo_uri) fetched by us through the SSRF-safe outbound client and served
// from our origin: the CSP stays img-src 'self', and the member's browser never calls the partner (no IP
// or Referer leaks). PNG and JPEG only, checked by their signature: a partner's SVG could carry script.
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import type { Logger } from 'pino';
import { describeOutboundFailure, type OutboundClient } from '../security/outbound/outbound-fetch.ts';
import { classifyAddress } from '../security/outbound/special-use-addresses.ts';

export const MAX_PARTNER_LOGO_BYTES = 100 * 1024;
const FRESH_MS = 60 * 60 * 1000;
/** A broken logo is tried again after a while, not on every consent page. */
const FAILED_MS = 5 * 60 * 1000;
/** At most 256 logos of at most 100 KiB each: 25 MiB in the worst case, far fewer in practice (one per partner). */
const MAX_ENTRIES = 256;
/** The consent page waits for a first fetch at most this long; a slow partner just shows no logo. */
const FETCH_TIMEOUT_MS = 2000;

export interface PartnerLogo {
  body: Buffer;
  type: 'image/png' | 'image/jpeg';
  /** Part of the served URL, so a changed logo is a new URL and old copies can be cached long. */
  version: string;
}

interface Entry {
  logoUri: string;
  expiresAt: number;
  logo: Promise<PartnerLogo | null>;
}

export interface LogoClient {
  clientId: string;
  logoUri?: string | undefined;
}

export interface PartnerLogos {
  /** Our URL of the client's logo (fetched now unless cached), or null: none, refused or broken. */
  urlFor(client: LogoClient): Promise<string | null>;
  /** The image to serve for a client, fetched again if it fell out of the cache. */
  imageFor(client: LogoClient): Promise<PartnerLogo | null>;
}

export const PARTNER_LOGO_PATH = /^\/branding\/partners\/([^/]+)\/logo$/;

/** Why an answer is not used as a logo: a short stable code for the log. */
class LogoProblem extends Error {}

function sniff(body: Buffer): PartnerLogo['type'] | null {
  if (body.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (body[0] === 0xff && body[1] === 0xd8 && body[2] === 0xff) return 'image/jpeg';
  return null;
}

/** https only; plain http just to a loopback host where the policy lets tests and developers use one. */
function acceptableUri(value: string, outbound: OutboundClient): boolean {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  if (url.username || url.password) return false;
  if (url.protocol === 'https:') return true;
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const loopback = host === 'localhost' || (isIP(host) !== 0 && classifyAddress(host) === 'loopback');
  return url.protocol === 'http:' && outbound.policy.allowLoopback && loopback;
}

export function createPartnerLogos(outbound: OutboundClient, logger: Logger, now: () => number = Date.now): PartnerLogos {
  const cache = new Map<string, Entry>();

  async function download(clientId: string, logoUri: string): Promise<PartnerLogo | null> {
    try {
      const response = await outbound.fetch(logoUri, { headers: { accept: 'image/png, image/jpeg' }, timeoutMs: FETCH_TIMEOUT_MS });
      if (response.status !== 200) {
        await response.body?.cancel().catch(() => undefined);
        throw new LogoProblem(`http_${response.status}`);
      }
      const body = Buffer.from(await response.arrayBuffer());
      if (body.length > MAX_PARTNER_LOGO_BYTES) throw new LogoProblem('too_large');
      const type = sniff(body);
      if (!type) throw new LogoProblem('not_png_or_jpeg');
      return { body, type, version: createHash('sha256').update(body).digest('base64url').slice(0, 12) };
    } catch (error) {
      logger.info({ clientId, reason: error instanceof LogoProblem ? error.message : describeOutboundFailure(error) }, 'partner logo not shown');
      return null;
    }
  }

  function imageFor(client: LogoClient): Promise<PartnerLogo | null> {
    const logoUri = client.logoUri;
    if (!logoUri || !acceptableUri(logoUri, outbound)) return Promise.resolve(null);
    const cached = cache.get(client.clientId);
    if (cached && cached.logoUri === logoUri && cached.expiresAt > now()) return cached.logo;
    cache.delete(client.clientId);
    if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value as string);
    const entry: Entry = { logoUri, expiresAt: now() + FRESH_MS, logo: download(client.clientId, logoUri) };
    cache.set(client.clientId, entry);
    void entry.logo.then((logo) => {
      if (!logo) entry.expiresAt = now() + FAILED_MS;
    });
    return entry.logo;
  }

  return {
    imageFor,
    async urlFor(client) {
      const logo = await imageFor(client);
      return logo ? `/branding/partners/${encodeURIComponent(client.clientId)}/logo?v=${logo.version}` : null;
    },
  };
}
