// Port: coupon campaigns of partners (one single code, or codes generated from a pattern), and their uses,
// capped per member and in total, each generated code used once, even under concurrency.
export interface Campaign {
  /** Random id. */
  id: string;
  partnerId: string;
  /** The single code members type, upper-cased: 4-32 of A-Z, 0-9 and '-'; unique per partner. Null for generated codes. */
  code: string | null;
  /** The pattern the campaign's codes were generated from ('#' a random character); null for a single code. */
  codePattern: string | null;
  /** How many codes were generated (0 for a single code). */
  codeCount: number;
  points: number;
  perMemberLimit: number;
  /** At most codeCount for generated codes. */
  totalLimit: number;
  /** Redeemable from startsAt (inclusive) until endsAt (exclusive), unless ended. */
  startsAt: Date;
  endsAt: Date;
  /** When the partner ended it early (no use after that); null while it runs its course. */
  endedAt: Date | null;
  createdAt: Date;
}

/** A campaign with one code typed by every member. */
export type NewCampaign = Pick<Campaign, 'partnerId' | 'code' | 'points' | 'perMemberLimit' | 'totalLimit' | 'startsAt' | 'endsAt'> & { code: string };

/** A campaign of codeCount single-use codes drawn from codePattern. */
export type NewGeneratedCampaign = Omit<NewCampaign, 'code'> & { codePattern: string; codeCount: number };

/** What a partner may change in a campaign (never its code). */
export type CampaignChanges = Partial<Pick<Campaign, 'points' | 'perMemberLimit' | 'totalLimit' | 'startsAt' | 'endsAt'>>;

export type CampaignUpdate =
  | { ok: true; campaign: Campaign }
  /** not_found also for another partner's campaign; the others are the rules of coupon-rules.ts checkChanges. */
  | { ok: false; reason: 'not_found' | 'ended' | 'below_uses' | 'above_codes' | 'window' };

/** One generated code: unique per partner, across its generated and single codes. */
export interface GeneratedCode {
  code: string;
  partnerId: string;
  campaignId: string;
  /** When its one use was taken; null while unused. */
  usedAt: Date | null;
}

/** One use of a campaign (its total slot), credited with one ledger earn keyed by its id. */
export interface CouponUse {
  /** "<campaign>:<n>": the n-th total slot; names the use and keys its ledger entry. */
  id: string;
  campaignId: string;
  accountId: string;
  /** The code that was used; null for uses taken before it was recorded (schema version 11). */
  code: string | null;
  /** The points it is worth, as the campaign said when it was taken; null as for code. */
  points: number | null;
  /** The caller's idempotency key (scoped by the caller) and the hash of its request, when it sent one. */
  idempotencyKey: string | null;
  requestHash: string | null;
  createdAt: Date;
  /** When its ledger earn was confirmed; null until then (see CouponService.recoverUncredited). */
  creditedAt: Date | null;
}

export interface RedeemRequest {
  campaignId: string;
  accountId: string;
  at: Date;
  /** A generated code of the campaign: its single use is taken with the slots. Absent for the single code. */
  generatedCode?: string;
  /** Makes the call idempotent: a later call with the key gets the use it took (see redeem). */
  idempotency?: { key: string; requestHash: string };
}

export type CouponRedemption =
  /** `replayed`: the idempotency key had taken this use before (same hash); nothing new was taken. */
  | { ok: true; use: CouponUse; replayed: boolean }
  | { ok: false; reason: 'used_up' | 'member_limit' | 'code_used' | 'idempotency_conflict' };

export interface Page {
  limit: number;
  /** The last item of the previous page: a campaign id, or a code for codes. */
  after?: string;
}

export interface CouponsRepository {
  /**
   * Throws DomainError('duplicate') when the partner has a campaign or generated code with this code, and
   * codeTaken() (coupon-rules.ts) when another partner's campaign live at `at` (open or upcoming, not ended) has it
   * as its single code. The second is atomic: of concurrent creations (and revivals, see update) of one code by
   * different partners, at most one succeeds. `at` defaults to now.
   */
  create(input: NewCampaign, at?: Date): Promise<Campaign>;
  /**
   * Creates the campaign with input.codeCount codes, each from `draw()`; a drawn code the partner already has (a
   * generated one or a single code) is drawn again. A campaign that is found has all its codes. Throws
   * DomainError('conflict') when draws keep colliding (a pattern with too few random characters).
   */
  createGenerated(input: NewGeneratedCampaign, draw: () => string): Promise<{ campaign: Campaign; codes: string[] }>;
  find(id: string): Promise<Campaign | undefined>;
  findByCode(partnerId: string, code: string): Promise<Campaign | undefined>;
  /** Every partner's campaigns with this single code (the hosted page takes codes of any partner). */
  findAllByCode(code: string): Promise<Campaign[]>;
  /** The partner's campaigns, oldest first. */
  list(partnerId: string, page: Page): Promise<Campaign[]>;
  /**
   * Applies the changes to the partner's campaign (checkChanges in coupon-rules.ts): totalLimit never below
   * the uses taken, also against uses taken concurrently. Not for an ended campaign. Moving the end of a
   * single-code campaign past `at` (default now) revives or extends its code, so it throws codeTaken() while
   * another partner's live campaign holds that code, atomically as create does.
   */
  update(partnerId: string, id: string, changes: CampaignChanges, at?: Date): Promise<CampaignUpdate>;
  /** Ends the partner's campaign at `at` (once: an ended campaign keeps its endedAt); undefined when not found. */
  end(partnerId: string, id: string, at: Date): Promise<Campaign | undefined>;
  /** How many uses the campaign has given. */
  countUses(campaignId: string): Promise<number>;

  findCode(partnerId: string, code: string): Promise<GeneratedCode | undefined>;
  /** Every partner's generated codes spelled so. */
  findCodes(code: string): Promise<GeneratedCode[]>;
  /** The campaign's generated codes in code order. */
  listCodes(campaignId: string, page: Page): Promise<GeneratedCode[]>;

  /**
   * Takes one use of the campaign for the account. Of any number of concurrent calls, never more than
   * totalLimit succeed in all, nor more than perMemberLimit for one account, nor more than one per generated
   * code. With an idempotency key, of concurrent calls with one key at most one takes a use; the others, and
   * every later call with the key, get that use back as replayed (same hash) or idempotency_conflict (another
   * hash). A call that takes nothing leaves its key unused. The window is the caller's to check.
   */
  redeem(request: RedeemRequest): Promise<CouponRedemption>;
  /** The use an idempotency key took, if any. */
  findUseByKey(idempotencyKey: string): Promise<CouponUse | undefined>;
  /** Records that the use's ledger earn exists. */
  markCredited(useId: string, at: Date): Promise<void>;
  /** Uses taken before `olderThan` and not marked credited, oldest first. */
  findUncredited(olderThan: Date, limit: number): Promise<CouponUse[]>;
  /**
   * Settles redemptions a crash left half-done before `olderThan` (the Mongo adapter's claims of a code or of
   * an idempotency key and the slots of an attempt that never committed; SQLite takes everything in one
   * transaction and returns 0). A retry with the key settles its own within seconds; this is for the rest.
   */
  recoverPending(olderThan: Date): Promise<number>;
}
