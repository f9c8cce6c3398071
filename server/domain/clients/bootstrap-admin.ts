// Ensures the bootstrap admin client from the environment exists with exactly the configured secret.
import { ADMIN_SCOPE } from '../../../config/provider.ts';
import type { ClientsRepository } from './clients.repository.ts';

export async function ensureBootstrapAdminClient(clients: ClientsRepository, admin: { clientId: string; clientSecret: string } | undefined): Promise<void> {
  if (!admin) return;
  // Upsert on every boot: rotating the secret in the environment and restarting is the recovery path.
  await clients.upsert({
    client_id: admin.clientId,
    client_secret: admin.clientSecret,
    client_name: 'Bootstrap admin',
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: ADMIN_SCOPE,
    token_endpoint_auth_method: 'client_secret_basic',
    first_party: true,
  });
}
