// Port: partners (the brands of the program, each with its own OIDC clients and pairwise subjects) and
// the links that say which members signed in to which partner — the only members a partner may see.
export interface Partner {
  /** Random id; also the pairwise sector of every client of the partner. */
  id: string;
  /** At most 100 characters. */
  name: string;
  createdAt: Date;
}

export interface PartnerMemberLink {
  partnerId: string;
  /** The member's pairwise `sub` as this partner sees it. */
  subject: string;
  accountId: string;
  /** The OIDC scopes the member granted this partner at the last sign-in (space-separated). */
  scope: string;
  linkedAt: Date;
  updatedAt: Date;
}

export interface NewLink {
  partnerId: string;
  subject: string;
  accountId: string;
  scope: string;
}

export interface PartnersRepository {
  /** Creates a partner with a new random id. */
  create(input: { name: string }): Promise<Partner>;
  find(id: string): Promise<Partner | undefined>;
  /** Oldest first; `after`: the id of the last partner of the previous page. */
  list(options: { limit: number; after?: string }): Promise<Partner[]>;
  /** Renames the partner; undefined when there is none with this id. */
  rename(id: string, name: string): Promise<Partner | undefined>;
  /** How many distinct members signed in to the partner (its links: one per member, the subject being per member). */
  countMembers(partnerId: string): Promise<number>;

  /**
   * Records that the member signed in to the partner, or refreshes the scope of the existing link
   * (keeping linkedAt). One link per (partnerId, subject); concurrent calls leave exactly one.
   */
  link(input: NewLink): Promise<void>;
  findLink(partnerId: string, subject: string): Promise<PartnerMemberLink | undefined>;
}
