// Reads an upstream OpenID provider's discovery document through the SSRF-safe client, refusing what is wrong with the field to blame.
import { DomainError } from '../errors.ts';
import { OutboundRequestRefused, type OutboundClient } from '../../security/outbound/outbound-fetch.ts';
import { discoveredMetadata, type DiscoveredMetadata } from './connection-settings.ts';

/** A discovery document is a few kB; more is not an honest one. */
const MAX_METADATA_BYTES = 64 * 1024;

function refuse(field: string, message: string, cause?: unknown): never {
  throw new DomainError('invalid_input', `invalid connection: ${field} ${message}`, { details: { fields: { [field]: message } }, cause });
}

/** A short reason for a failed request, naming certificate problems (a self-signed or expired upstream). */
export function unreachable(error: unknown): string {
  if (error instanceof OutboundRequestRefused) return `is refused: ${error.message}`;
  const cause = (error as { cause?: { code?: unknown } } | undefined)?.cause;
  const code = typeof cause?.code === 'string' ? cause.code : '';
  if (/CERT|SELF_SIGNED|UNABLE_TO_VERIFY|TLS|SSL/.test(code)) return `metadata is unreachable: the server's certificate is not valid (${code})`;
  return `metadata is unreachable${code ? ` (${code})` : ''}`;
}

/**
 * `<issuer>/.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §4), whose `issuer` must be the
 * very issuer asked for (§4.3): a document naming another issuer is how a mix-up between providers starts.
 */
export async function discoverOidcProvider(outbound: Pick<OutboundClient, 'fetch'>, issuer: string, accepted: readonly string[] = [issuer]): Promise<DiscoveredMetadata> {
  const url = `${issuer.replace(/\/$/, '')}/.well-known/openid-configuration`;
  let response: Response;
  try {
    response = await outbound.fetch(url, { headers: { accept: 'application/json' } });
  } catch (error) {
    refuse('issuer', unreachable(error), error);
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => undefined);
    refuse('issuer', `metadata answered HTTP ${response.status} at ${url}`);
  }
  let document: unknown;
  try {
    const text = await response.text();
    if (text.length > MAX_METADATA_BYTES) refuse('issuer', 'metadata is too large');
    document = JSON.parse(text);
  } catch (error) {
    if (error instanceof DomainError) throw error;
    refuse('issuer', 'metadata is not a JSON document', error);
  }
  const parsed = discoveredMetadata.safeParse(document);
  if (!parsed.success) {
    const missing = parsed.error.issues.map((issue) => issue.path.join('.') || '(document)');
    refuse('issuer', `metadata is not an OpenID provider's: check ${[...new Set(missing)].join(', ')}`);
  }
  // `accepted`: Entra's multi-tenant document names its {tenantid} template instead (microsoft-tenant.ts).
  if (!accepted.includes(parsed.data.issuer)) refuse('issuer', `metadata names the issuer ${JSON.stringify(parsed.data.issuer.slice(0, 200))}, not this one`);
  if (parsed.data.code_challenge_methods_supported && !parsed.data.code_challenge_methods_supported.includes('S256')) {
    refuse('issuer', 'provider does not support PKCE with S256');
  }
  return parsed.data;
}
