// Proving, from the account page, that the signed-in member also owns another account (issue 21 item 1): its
// password, or a 6-digit code sent to its verified contact. A proof is a short-lived record bound to the member
// who made it and the account it proves, used once by the merge. Nothing here tells whether an email, phone or
// member number belongs to anyone: every well-formed name gets the same answer and the same work (see each method).
import type { Logger } from 'pino';
import type { Account } from '../accounts/account.ts';
import type { AccountsRepository } from '../accounts/accounts.repository.ts';
import type { CodeProblem, SignInFailure } from '../accounts/account-service.ts';
import { isValidEmail, normaliseEmail } from '../accounts/email-address.ts';
import { verifyAgainstDummy, verifyAnyHash } from '../accounts/password-hasher.ts';
import { parsePhoneNumber } from '../accounts/phone-number.ts';
import type { CodeService } from '../codes/code-service.ts';
import type { DeliveryOptions, Mailer } from '../mail/mailer.ts';
import type { LoyaltyRepository } from '../loyalty/loyalty.repository.ts';
import { normaliseMemberNumber } from '../loyalty/member-number.ts';
import type { OidcStore } from '../oidc/oidc-store.repository.ts';
import type { PasskeyProblem, PasskeyService } from '../passkeys/passkey-service.ts';
import type { SmsSender } from '../sms/sms-sender.ts';
import type { LegacyHashSettings } from '../../passwords/legacy/registry.ts';
import { messageLanguage } from '../../i18n/request-language.ts';
import { mergeCodeEmail, mergeCodeSms } from './merge-messages.ts';

const PURPOSE = 'member_merge';
/** oidc-store model of the proofs: one per member (a new proof replaces the last). */
const PROOF_MODEL = 'MemberMergeProof';
/** Long enough to read the preview and confirm it is you (a fresh sign-in); short enough that a left-open page dies. */
export const PROOF_TTL_SECONDS = 15 * 60;

/** The merge service's member-side proof methods (server/domain/merge/merges.repository.ts). */
export type ProofMethod = 'password' | 'passkey' | 'email_code' | 'sms_code';

const PROOF_METHODS: readonly ProofMethod[] = ['password', 'passkey', 'email_code', 'sms_code'];

/** How the other account was named and proved: what the merge records. */
export interface OwnershipProof {
  /** The signed-in member who proved it (the survivor of the merge). */
  accountId: string;
  /** The account proved (the one to absorb). */
  otherId: string;
  method: ProofMethod;
  provedAt: Date;
}

/** The other account as the member named it: an email, a phone number or a member number. */
export type NamedAccount =
  | { kind: 'email' | 'phone' | 'member_number'; key: string; account: Account | undefined }
  | { kind: 'invalid' };

export type PasswordProof =
  | { ok: true; proof: OwnershipProof }
  /** `self`: the name is this member's own (or an account already merged into it): no proof was tried. */
  | { ok: false; reason: 'self' | 'invalid' }
  /** `failure` and `accountId` are for the lockout's counting (as a sign-in's), never shown. */
  | { ok: false; reason: 'not_proved'; failure: SignInFailure; accountId?: string };

export type CodeRequest = { status: 'sent_if_ours'; retryAfterSeconds: number } | { status: 'self' } | { status: 'invalid' };

export type CodeProof = { ok: true; proof: OwnershipProof } | { ok: false; reason: CodeProblem };

export type PasskeyProof = { ok: true; proof: OwnershipProof } | { ok: false; reason: PasskeyProblem | 'self' };

export interface OwnershipProofDeps {
  accounts: Pick<AccountsRepository, 'findByEmail' | 'findByPhone' | 'findById'>;
  loyalty: Pick<LoyaltyRepository, 'findMemberByNumber'>;
  codes: CodeService;
  mailer: Mailer;
  /** Undefined without SMS: an account whose only verified contact is a phone can then be proved by password only. */
  sms: SmsSender | undefined;
  host: string;
  /** SMS_DEFAULT_COUNTRY: reads a national phone number as typed. */
  defaultCountry: string | undefined;
  legacyHashes: LegacyHashSettings;
  /** Usernameless WebAuthn: the passkey names its account, so nothing is asked about a typed name. */
  passkeys: Pick<PasskeyService, 'authenticationOptions' | 'verifyAuthentication'>;
  /** Holds the proofs (expiring records). */
  store: Pick<OidcStore, 'upsert' | 'find' | 'destroy'>;
  logger: Logger;
  now?: () => Date;
}

/** The WebAuthn challenge's flow id: one per member's merge, apart from every interaction's. */
function passkeyFlow(member: Account): string {
  return `member-merge:${member.id}`;
}

export class OwnershipProofs {
  private readonly deps: OwnershipProofDeps;

  constructor(deps: OwnershipProofDeps) {
    this.deps = deps;
  }

  private now(): Date {
    return this.deps.now?.() ?? new Date();
  }

  /** Reads what the member typed as an email, a phone number (E.164 or national) or a member number. */
  async resolve(input: string): Promise<NamedAccount> {
    const text = input.trim();
    if (text.length === 0 || text.length > 320) return { kind: 'invalid' };
    if (text.includes('@')) {
      const email = normaliseEmail(text);
      if (!isValidEmail(email)) return { kind: 'invalid' };
      return { kind: 'email', key: email, account: await this.deps.accounts.findByEmail(email) };
    }
    const number = normaliseMemberNumber(text);
    if (number) {
      const member = await this.deps.loyalty.findMemberByNumber(number);
      return { kind: 'member_number', key: number, account: member ? await this.deps.accounts.findById(member.accountId) : undefined };
    }
    const phone = parsePhoneNumber(text, this.deps.defaultCountry);
    if (phone.ok) return { kind: 'phone', key: phone.e164, account: await this.deps.accounts.findByPhone(phone.e164) };
    return { kind: 'invalid' };
  }

  /**
   * The other account's password. An unknown name, an account without a password, a wrong password and an
   * unverified account answer alike, after the same argon2 work (the dummy verification).
   */
  async provePassword(member: Account, named: NamedAccount, password: string): Promise<PasswordProof> {
    if (named.kind === 'invalid') return { ok: false, reason: 'invalid' };
    if (named.account?.id === member.id) return { ok: false, reason: 'self' };
    const other = named.account;
    const hash = other?.passwordHash;
    const valid = hash ? (await verifyAnyHash(hash, password, this.deps.legacyHashes)).valid : await verifyAgainstDummy(password);
    if (!other) return { ok: false, reason: 'not_proved', failure: 'unknown_account' };
    if (!hash) return { ok: false, reason: 'not_proved', failure: 'no_password', accountId: other.id };
    if (!valid) return { ok: false, reason: 'not_proved', failure: 'wrong_password', accountId: other.id };
    if (!other.emailVerified) return { ok: false, reason: 'not_proved', failure: 'unverified', accountId: other.id };
    return { ok: true, proof: await this.record(member.id, other.id, 'password') };
  }

  /**
   * Sends a code to the other account's verified contact: its email when the member named it by email (or by
   * member number), its phone when named by phone (or when it has no verified email). Every well-formed name gets
   * a code (kept, sent only to a real contact), so the resend wait runs the same for all, and the code goes out
   * after the answer, so a mail or SMS round trip cannot make a real account answer slower.
   */
  async requestCode(member: Account, named: NamedAccount): Promise<CodeRequest> {
    if (named.kind === 'invalid') return { status: 'invalid' };
    if (named.account?.id === member.id) return { status: 'self' };
    const wait = await this.deps.codes.cooldownRemaining(PURPOSE, member.id);
    if (wait > 0) return { status: 'sent_if_ours', retryAfterSeconds: wait };
    const delivery = named.account ? this.deliveryFor(named.account, named.kind === 'phone') : undefined;
    const issued = await this.deps.codes.issue(PURPOSE, member.id, { target: delivery ? named.account!.id : '', to: delivery?.to ?? '' }, { ignoreCooldown: true });
    if (!issued.ok) return { status: 'sent_if_ours', retryAfterSeconds: issued.retryAfterSeconds };
    if (delivery) this.sendInBackground(member.id, (options) => delivery.send(issued.code, options));
    return { status: 'sent_if_ours', retryAfterSeconds: 0 };
  }

  /** Whether a code is waiting (the code page shows only then), without counting as a try. */
  async codePending(member: Account): Promise<boolean> {
    return (await this.deps.codes.peekData(PURPOSE, member.id)) !== undefined;
  }

  /**
   * Checks the code (single use, 5 tries, 10 minutes). A code that went nowhere, or to a contact the account no
   * longer has, fails like a wrong one.
   */
  async proveCode(member: Account, code: string): Promise<CodeProof> {
    const check = await this.deps.codes.verify(PURPOSE, member.id, code);
    if (!check.ok) return check;
    const invalid = { ok: false, reason: 'code.invalid' } as const;
    const target = check.data?.target;
    const to = check.data?.to;
    if (!target || !to) return invalid;
    const other = await this.deps.accounts.findById(target);
    if (!other) return invalid;
    const method = other.emailVerified && other.email === to ? 'email_code' : other.phone === to ? 'sms_code' : undefined;
    if (!method) return invalid;
    return { ok: true, proof: await this.record(member.id, other.id, method) };
  }

  /**
   * Options for a passkey of the other account: discoverable credentials only (no list of the account's passkeys,
   * which would tell a name's owner has some), with a challenge stored for this member's merge, used once.
   */
  async passkeyOptions(member: Account): Promise<Awaited<ReturnType<PasskeyService['authenticationOptions']>>> {
    return this.deps.passkeys.authenticationOptions(passkeyFlow(member));
  }

  /** The passkey's answer, checked as a sign-in's (origin, rpId, user verification, counter); its owner is the other account. */
  async provePasskey(member: Account, response: Parameters<PasskeyService['verifyAuthentication']>[1]): Promise<PasskeyProof> {
    const verified = await this.deps.passkeys.verifyAuthentication(passkeyFlow(member), response);
    if (!verified.ok) return verified;
    if (verified.account.id === member.id) return { ok: false, reason: 'self' };
    return { ok: true, proof: await this.record(member.id, verified.account.id, 'passkey') };
  }

  /** The member's live proof, if any. */
  async current(member: Account): Promise<OwnershipProof | undefined> {
    const stored = await this.deps.store.find(PROOF_MODEL, member.id);
    if (!stored || stored.accountId !== member.id || typeof stored.otherId !== 'string' || typeof stored.provedAt !== 'number') return undefined;
    const method = PROOF_METHODS.find((known) => known === stored.method);
    if (!method) return undefined;
    return { accountId: member.id, otherId: stored.otherId, method, provedAt: new Date(stored.provedAt) };
  }

  /** Ends the member's proof (used by a merge, or abandoned): a proof merges once. */
  async discard(member: Account): Promise<void> {
    await this.deps.store.destroy(PROOF_MODEL, member.id);
  }

  private async record(accountId: string, otherId: string, method: ProofMethod): Promise<OwnershipProof> {
    const provedAt = this.now();
    await this.deps.store.upsert(PROOF_MODEL, accountId, { accountId, otherId, method, provedAt: provedAt.getTime() }, PROOF_TTL_SECONDS);
    return { accountId, otherId, method, provedAt };
  }

  private deliveryFor(account: Account, preferPhone: boolean): { to: string; send(code: string, options: DeliveryOptions): Promise<void> } | undefined {
    const sms = this.deps.sms;
    const byPhone = account.phone && sms ? { to: account.phone, send: async (code: string, options: DeliveryOptions) => sms.send(mergeCodeSms(account.phone!, code, this.deps.host, await messageLanguage()), options) } : undefined;
    const email = account.emailVerified ? account.email : null;
    const byEmail = email !== null ? { to: email, send: async (code: string, options: DeliveryOptions) => this.deps.mailer.send(mergeCodeEmail(email, code, await messageLanguage()), options) } : undefined;
    return preferPhone ? (byPhone ?? byEmail) : (byEmail ?? byPhone);
  }

  /** A code that could not be sent is discarded, so it does not hold the resend wait (as the card claim does). */
  private sendInBackground(accountId: string, send: (options: DeliveryOptions) => Promise<void>): void {
    const discard = () => this.deps.codes.discard(PURPOSE, accountId).catch(() => undefined);
    void send({ onFailure: discard }).catch(async (error: unknown) => {
      this.deps.logger.warn({ err: error, accountId }, 'merge proof code not sent');
      await discard();
    });
  }
}
