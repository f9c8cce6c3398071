// Claiming a card of the old program: a 6-digit code to the contact on file proves the member holds the card;
// then the imported record is claimed once, its points move into the account in one idempotent ledger entry,
// and what the card knew fills what the account lacks (the name, and the mobile number the code went to when
// the member's sign-in is as strong as adding a phone needs; else the number is only offered).
import type { Logger } from 'pino';
import type { Account } from '../accounts/account.ts';
import { cardClaimCode, type SecurityChange, securityChanged } from '../accounts/account-emails.ts';
import type { AccountsRepository } from '../accounts/accounts.repository.ts';
import type { CodeProblem } from '../accounts/account-service.ts';
import { maskPhone } from '../accounts/phone-number.ts';
import type { CodeService } from '../codes/code-service.ts';
import { DomainError } from '../errors.ts';
import type { DeliveryOptions, Mailer } from '../mail/mailer.ts';
import type { ProfileService } from '../profile/profile-service.ts';
import type { SmsSender } from '../sms/sms-sender.ts';
import { smsCardClaimCode } from '../sms/sms-texts.ts';
import { messageLanguage } from '../../i18n/request-language.ts';
import { cardEnding, normaliseCardNumber, splitCardName } from './imported-member-rules.ts';
import type { ImportedMember, ImportedMembersRepository } from './imported-members.repository.ts';
import type { LoyaltyService } from './loyalty-service.ts';

const PURPOSE = 'card_claim';

export interface CardClaimDeps {
  importedMembers: ImportedMembersRepository;
  /** To give the account the card's mobile number once an SMS code proved it. */
  accounts: AccountsRepository;
  /** To fill the member's empty name fields from the card. */
  profiles: ProfileService;
  loyalty: LoyaltyService;
  codes: CodeService;
  mailer: Mailer;
  /** Undefined when SMS is not configured: a card whose only contact is a phone cannot be claimed then. */
  sms: SmsSender | undefined;
  /** Our host, for the WebOTP line of the SMS. */
  host: string;
  logger: Logger;
}

export type ClaimStart =
  /** The answer for every well-formed card: ours or not, claimed or not, reachable or not (see start()). */
  | { status: 'sent_if_ours'; retryAfterSeconds: number }
  /** This account claimed the card before: only its claimer learns that, and any points left to move are moved. */
  | { status: 'already_yours' }
  | { status: 'invalid' };

export type ClaimConfirm =
  /** `phoneOffered`: the card's mobile could become the account's phone, but only through the phone page's own rule. */
  | { ok: true; cardNumber: string; points: number; phoneOffered: boolean }
  | { ok: false; reason: CodeProblem };

export interface ClaimConfirmOptions {
  /**
   * Whether the member's sign-in meets the rule for adding a phone on the account page (a recent strong
   * sign-in). Without it the card's mobile is not set: a code to the card's contact proves the card, not
   * the account holder, so it must not add a way to sign in (chained with an SMS sign-in it was a takeover).
   */
  mayAddPhone: boolean;
}

/** The ledger key of a card's balance: one per card whoever claims it, so no retry or race credits it twice. */
export function cardLedgerKey(cardNumber: string): string {
  return `card:${cardNumber}`;
}

export class CardClaimService {
  private readonly deps: CardClaimDeps;

  constructor(deps: CardClaimDeps) {
    this.deps = deps;
  }

  /** Whether SMS can be sent at all: without it the page says, for every card, that phone-only cards need support. */
  get smsEnabled(): boolean {
    return this.deps.sms !== undefined;
  }

  /**
   * Sends a code to the contact on file of an unclaimed card. Enumeration: the answer is the same for a card
   * that is not ours, one claimed by someone else, one with no contact we can reach and one we sent a code for,
   * and it shows no masked contact: "a code went to j***@example.com" would tell anyone typing numbers that the
   * card exists and whose it might be. What else could differ is made alike: every well-formed card gets a
   * code (kept, sent only to a real contact; one nobody received never claims anything), so the resend wait
   * runs the same for all; and the code is sent after answering, so an SMTP or SMS round trip cannot make a
   * card on file answer slower.
   */
  async start(account: Account, input: string): Promise<ClaimStart> {
    const cardNumber = normaliseCardNumber(input);
    if (!cardNumber) return { status: 'invalid' };
    const wait = await this.deps.codes.cooldownRemaining(PURPOSE, account.id);
    if (wait > 0) return { status: 'sent_if_ours', retryAfterSeconds: wait };
    const record = await this.deps.importedMembers.find(cardNumber);
    if (record?.claimedBy === account.id) {
      await this.credit(account, record);
      return { status: 'already_yours' };
    }
    const delivery = record?.claimedBy === null ? this.deliveryFor(record) : undefined;
    const issued = await this.deps.codes.issue(PURPOSE, account.id, { cardNumber, to: delivery?.to ?? '' }, { ignoreCooldown: true });
    if (!issued.ok) return { status: 'sent_if_ours', retryAfterSeconds: issued.retryAfterSeconds };
    if (delivery) this.sendInBackground(account.id, (options) => delivery.send(issued.code, options));
    return { status: 'sent_if_ours', retryAfterSeconds: 0 };
  }

  /** The card the live code is for (to offer a new code for it), without counting as a try. */
  async pending(account: Account): Promise<string | undefined> {
    return (await this.deps.codes.peekData(PURPOSE, account.id))?.cardNumber;
  }

  /**
   * Checks the code, claims the record and moves its points. A card claimed by another account meanwhile, or one
   * whose contact the code did not reach, fails like a wrong code: the same as for a card that is not ours.
   */
  async confirm(account: Account, code: string, options: ClaimConfirmOptions): Promise<ClaimConfirm> {
    const invalid = { ok: false, reason: 'code.invalid' } as const;
    const check = await this.deps.codes.verify(PURPOSE, account.id, code);
    if (!check.ok) return check;
    const cardNumber = check.data?.cardNumber;
    const to = check.data?.to;
    // A code that went nowhere proves nothing, even guessed.
    if (!cardNumber || !to) return invalid;
    // The code's contact must still be the record's: a re-import that replaced it took that person's say away.
    const current = await this.deps.importedMembers.find(cardNumber);
    if (!current || (current.email !== to && current.phone !== to)) return invalid;
    const claim = await this.deps.importedMembers.claim(cardNumber, account.id);
    if (!claim.ok) return invalid;
    await this.credit(account, claim.record);
    // Also on a retry (alreadyYours): a crash may have cut the first confirm short after the claim.
    const phone = await this.carryOver(account, claim.record, to, options);
    if (!claim.alreadyYours) await this.notify(account, claim.record, phone.set);
    return { ok: true, cardNumber, points: claim.record.balance, phoneOffered: phone.offered };
  }

  /**
   * The card's name fills the profile's empty given and family names (never what the member entered). When the
   * code went by SMS to the card's mobile and the account has no phone, that number can become its verified
   * phone: the code proved possession just as the account page's code does, but adding a phone also needs the
   * account page's recent strong sign-in, so without one the number is only offered (`offered`), to be added
   * through the phone page. A number another account holds is skipped without a word, as nothing about that
   * account may show here. Returns the number set, if any.
   */
  private async carryOver(account: Account, record: ImportedMember, codeWentTo: string, options: ClaimConfirmOptions): Promise<{ set?: string; offered: boolean }> {
    const name = splitCardName(record.name);
    if (name) await this.deps.profiles.fillEmpty(account.id, { given_name: name.givenName, ...(name.familyName ? { family_name: name.familyName } : {}) });
    const none = { offered: false };
    if (record.phone === null || codeWentTo !== record.phone) return none;
    const current = await this.deps.accounts.findById(account.id);
    if (!current || current.phone !== null) return none;
    if (!options.mayAddPhone) return { offered: true };
    try {
      return (await this.deps.accounts.setPhone(account.id, record.phone)) ? { set: record.phone, offered: false } : none;
    } catch (error) {
      if (error instanceof DomainError && error.code === 'duplicate') return none;
      throw error;
    }
  }

  /**
   * Moves the claimed balance with one ledger entry under the card's key: a retry (or the recovery of a claim
   * whose credit a crash cut short) replays it, and no other account can post under it.
   */
  private async credit(account: Account, record: ImportedMember): Promise<void> {
    if (record.balance === 0) return;
    await this.deps.loyalty.ensureMember(account.id);
    const posted = await this.deps.loyalty.adjust({
      accountId: account.id,
      points: record.balance,
      partnerId: null,
      reason: `claimed card ${cardEnding(record.cardNumber)} from the old program`,
      idempotencyKey: cardLedgerKey(record.cardNumber),
    });
    if (!posted.ok) throw new DomainError('conflict', `card ${cardEnding(record.cardNumber)} could not be credited: ${posted.reason}`);
  }

  /** Email when the record has one (free, and no SMS pumping); else SMS when configured; else nowhere. */
  private deliveryFor(record: ImportedMember): { to: string; send(code: string, options: DeliveryOptions): Promise<void> } | undefined {
    const { email, phone } = record;
    if (email) return { to: email, send: async (code, options) => this.deps.mailer.send(cardClaimCode(email, record.cardNumber.slice(-4), code, await messageLanguage()), options) };
    const sms = this.deps.sms;
    if (phone && sms) return { to: phone, send: async (code, options) => sms.send(smsCardClaimCode(phone, code, this.deps.host, await messageLanguage()), options) };
    return undefined;
  }

  /**
   * A code that could not be sent is discarded (as PhoneService does), so it does not hold the resend wait:
   * refused at once (the SMS guard) or failed after the answer (the delivery queue's hook).
   */
  private sendInBackground(accountId: string, send: (options: DeliveryOptions) => Promise<void>): void {
    const discard = () => this.deps.codes.discard(PURPOSE, accountId).catch(() => undefined);
    void send({ onFailure: discard }).catch(async (error: unknown) => {
      this.deps.logger.warn({ err: error, accountId }, 'card claim code not sent');
      await discard();
    });
  }

  private async notify(account: Account, record: ImportedMember, phone: string | undefined): Promise<void> {
    const last4 = record.cardNumber.slice(-4);
    const change: SecurityChange = phone
      ? { id: 'email.change.card_claimed_phone', params: { last4, points: record.balance, phone: maskPhone(phone) } }
      : { id: 'email.change.card_claimed', params: { last4, points: record.balance } };
    if (account.email === null) return; // a phone-first member: no mailbox to tell
    await this.deps.mailer.send(securityChanged(account.email, change, await messageLanguage())).catch((error: unknown) => {
      // The card is claimed and credited; a lost notice must not undo that or fail the page.
      this.deps.logger.warn({ err: error, accountId: account.id }, 'security notice not sent');
    });
  }
}
