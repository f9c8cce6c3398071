// Which members a partner may see: a member is linked to a partner (under the partner's pairwise sub)
// when they sign in to one of its clients, with the scopes they granted it. The partner API finds
// members only through these links.
import { pairwiseSubject, partnerIdOf, type SectorClient, sectorOf } from '../../../config/pairwise.ts';
import type { PartnerMemberLink, PartnersRepository } from './partners.repository.ts';

export class PartnerLinks {
  private readonly partners: PartnersRepository;
  private readonly salt: Buffer;

  constructor(partners: PartnersRepository, pairwiseSalt: Buffer) {
    this.partners = partners;
    this.salt = pairwiseSalt;
  }

  /** Called on every authorization of a client; does nothing for clients without a partner. */
  async record(client: SectorClient, accountId: string, scope: string): Promise<void> {
    const partnerId = partnerIdOf(client);
    if (!partnerId) return;
    await this.partners.link({ partnerId, subject: pairwiseSubject(this.salt, sectorOf(client), accountId), accountId, scope });
  }

  find(partnerId: string, subject: string): Promise<PartnerMemberLink | undefined> {
    return this.partners.findLink(partnerId, subject);
  }
}
