// A stored connection read as the protocol it speaks (OpenID Connect or SAML 2.0), with its kind's validated settings.
import { oidcConnectionSettings, type OidcConnectionSettings } from './connection-settings.ts';
import type { StoredConnection } from './connections.repository.ts';
import type { LinkingSettings } from './federated-sign-in.ts';
import { samlConnectionSettings, type SamlConnectionSettings } from './saml-connection-settings.ts';

export type ProtocolConnection =
  | { id: string; name: string; protocol: 'oidc'; settings: OidcConnectionSettings }
  | { id: string; name: string; protocol: 'saml'; settings: SamlConnectionSettings };

/** Undefined when the stored settings do not parse as the kind's (never signs anyone in through a broken row). */
export function asProtocolConnection(connection: StoredConnection): ProtocolConnection | undefined {
  if (connection.kind === 'saml') {
    const saml = samlConnectionSettings.safeParse(connection.settings);
    return saml.success ? { id: connection.id, name: connection.name, protocol: 'saml', settings: saml.data } : undefined;
  }
  const oidc = oidcConnectionSettings.safeParse(connection.settings);
  return oidc.success ? { id: connection.id, name: connection.name, protocol: 'oidc', settings: oidc.data } : undefined;
}

/** What the linking rules need of any kind (claim mapping, trust flags). */
export function linkingSettingsOf(connection: StoredConnection | undefined): LinkingSettings | undefined {
  return connection ? asProtocolConnection(connection)?.settings : undefined;
}
