// "No dead ends": where a page without a next step sends the member back to. The client's own site when
// it published an https client_uri, else the program's home (BRANDING_FILE home_url), else our home page.
import { currentBranding } from './page-brand.ts';

export interface WayBack {
  href: string;
  /** Set when the link goes back to the client: the label names it. */
  clientName: string | null;
}

export interface WayBackClient {
  clientId: string;
  clientName?: string | undefined;
  clientUri?: string | undefined;
}

/** Only an https URL without credentials: client metadata is partner-supplied and becomes an href. */
function httpsUri(value: unknown): string | null {
  if (typeof value !== 'string') return null;
  try {
    const url = new URL(value);
    return url.protocol === 'https:' && !url.username && !url.password ? url.href : null;
  } catch {
    return null;
  }
}

export function wayBack(client: WayBackClient | undefined): WayBack {
  const clientUri = httpsUri(client?.clientUri);
  if (client && clientUri) return { href: clientUri, clientName: client.clientName ?? client.clientId };
  return { href: currentBranding().homeUrl ?? '/', clientName: null };
}
