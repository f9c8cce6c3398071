// Pairwise subjects: one stable, unlinkable `sub` per member per sector. A partner's clients all share
// the partner's sector (client metadata partner_id), so a partner sees one sub across its sites and apps.
import { createHmac } from 'node:crypto';
import { clientMetadata } from '../server/oidc/client-metadata.ts';

export interface SectorClient {
  sectorIdentifier?: string;
  metadata(): object;
}

/** The partner a client belongs to (client metadata partner_id), if any. */
export function partnerIdOf(client: Pick<SectorClient, 'metadata'>): string | undefined {
  const partnerId = (clientMetadata(client) as { partner_id?: unknown }).partner_id;
  return typeof partnerId === 'string' && partnerId ? partnerId : undefined;
}

export function sectorOf(client: SectorClient): string {
  const partnerId = partnerIdOf(client);
  return partnerId ? `partner:${partnerId}` : (client.sectorIdentifier ?? '');
}

export function pairwiseSubject(salt: Buffer, sector: string, accountId: string): string {
  return createHmac('sha256', salt).update(`${sector}\0${accountId}`).digest('base64url');
}
