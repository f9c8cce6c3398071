// The "Continue with <name>" buttons a client shows on its sign-in and sign-up pages, and the email domains that route to them.
import type { Context } from 'koa';
import { asProtocolConnection, type ProtocolConnection } from '../../server/domain/connections/connection-protocols.ts';
import type { ConnectionsRepository, StoredConnection } from '../../server/domain/connections/connections.repository.ts';
import { clientMetadata } from '../../server/oidc/client-metadata.ts';

/** A connection shown on the pages: its protocol (oidc or saml) decides how "Continue with" starts. */
export type ShownConnection = ProtocolConnection;

/** Connections are few and rarely change; listing them on each page costs one small query. */
async function all(connections: ConnectionsRepository): Promise<StoredConnection[]> {
  const found: StoredConnection[] = [];
  let after: string | undefined;
  for (;;) {
    const page = await connections.list(after === undefined ? { limit: 100 } : { limit: 100, after });
    found.push(...page);
    if (page.length < 100) return found;
    after = page.at(-1)!.id;
  }
}

/** Every connection, narrowed by the client's `connections` metadata (a list of ids) when it has one. */
export async function connectionsForClient(ctx: Context, connections: ConnectionsRepository): Promise<ShownConnection[]> {
  const client = ctx.state.client as { metadata?: () => Record<string, unknown> } | undefined;
  const allowed = client?.metadata ? clientMetadata(client as { metadata(): Record<string, unknown> }).connections : undefined;
  const shown: ShownConnection[] = [];
  for (const connection of await all(connections)) {
    if (Array.isArray(allowed) && !allowed.includes(connection.id)) continue;
    const readable = asProtocolConnection(connection);
    if (readable) shown.push(readable);
  }
  return shown;
}

/** What the connections partial renders: a name and the form action that starts the upstream sign-in. */
export async function connectionButtons(ctx: Context, connections: ConnectionsRepository, uid: string): Promise<Array<{ name: string; action: string }>> {
  return (await connectionsForClient(ctx, connections)).map((connection) => ({ name: connection.name, action: `/interaction/${uid}/connections/${encodeURIComponent(connection.id)}` }));
}

/** Home-realm discovery: the shown connection whose domains include the email's domain, if any. */
export async function connectionForEmail(ctx: Context, connections: ConnectionsRepository, email: string): Promise<ShownConnection | undefined> {
  const at = email.lastIndexOf('@');
  if (at < 1) return undefined;
  const domain = email.slice(at + 1).trim().toLowerCase();
  if (!domain) return undefined;
  return (await connectionsForClient(ctx, connections)).find((connection) => connection.settings.domains.includes(domain));
}
