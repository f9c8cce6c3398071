// A partner's clients: the store keeps client metadata opaque (no partner column), and a program has tens or
// hundreds of clients, so the list is read in pages and filtered on partner_id, up to a bound.
import type { ClientsRepository, StoredClient } from './clients.repository.ts';

const PAGE = 100;
/** Clients read at most per call: far above any program's count; past it the answer is cut (`complete` false). */
const SCAN_LIMIT = 10_000;

export async function partnerClients(clients: Pick<ClientsRepository, 'list'>, partnerId: string): Promise<{ clients: StoredClient[]; complete: boolean }> {
  const found: StoredClient[] = [];
  let after: string | undefined;
  for (let read = 0; read < SCAN_LIMIT; read += PAGE) {
    const page = await clients.list({ limit: PAGE, ...(after !== undefined ? { after } : {}) });
    found.push(...page.filter((client) => client.metadata.partner_id === partnerId));
    if (page.length < PAGE) return { clients: found, complete: true };
    after = page.at(-1)!.clientId;
  }
  return { clients: found, complete: false };
}
