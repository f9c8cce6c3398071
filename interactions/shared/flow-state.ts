// Short-lived, signed state carried between the pages of one interaction (e.g. which account is verifying).
// Signed, not encrypted: it only holds the member's own email, ids and which factor was proven.
import { createHmac } from 'node:crypto';
import type { Context } from 'koa';
import { constantTimeEqual } from '../../server/security/crypto.ts';

export interface FlowState {
  /** Email shown (masked) on the next page and pre-filled on the sign-in page. */
  email?: string;
  /** The account whose email is being verified. */
  accountId?: string;
  /** A one-shot notice for the next page (message id). */
  info?: string;
  /** A step-up code was sent in this interaction, so the page asks for it. */
  stepUpSent?: boolean;
  /** The way of proving a second factor the member picked instead of the default one. */
  mfaMethod?: MfaMethod;
  /** The second factor this interaction already proved (set only by a successful check). */
  secondFactor?: MfaMethod;
  /** An authenticator app being enrolled in this interaction. */
  enrolFactorId?: string;
  /** The sign-up in this interaction is passwordless: a passkey is created once the email is verified. */
  passkeySignup?: boolean;
  /** Set by the verification step only: this account's email was proven in this interaction. */
  verifiedAccountId?: string;
  /** Set by the sign-in step only: the password of this account was right, at passwordAt (epoch s). */
  passwordAccountId?: string;
  passwordAt?: number;
  /** A passwordless sign-in code was asked for `email` (or, by SMS, for `phone`) in this interaction. */
  codeSignIn?: boolean;
  /** E.164 number a passwordless SMS code was asked for. */
  phone?: string;
  /** Sign-up by mobile number (issue 21): a code was sent to `phone` to create an account with it. */
  phoneSignUp?: boolean;
  /** Issue 21: the phone sign-up was a tripped honeypot: its code page is a decoy, nothing was or will be sent. */
  phoneSignUpDecoy?: boolean;
  /** An upstream identity to link to `accountId` once our email code proves its address (issue 16). */
  federatedLink?: { connectionId: string; subject: string; claims?: Record<string, string> };
  /** An upstream identity whose email is a member's: linked only after that member signs in and confirms. */
  pendingLink?: { connectionId: string; subject: string; email: string; claims?: Record<string, string> };
  /** The sign-in that proved the account of `pendingLink`, completed once the member answers the link page. */
  linkProof?: { accountId: string; amr: string[]; acr: string; ts: number };
  /** Issue 17: the purposes ticked at sign-up (id → the version shown) and the terms version shown, recorded once the email is proven. */
  signUpConsents?: { purposes: Record<string, number>; terms: number | null };
}

export type MfaMethod = 'email' | 'sms' | 'totp' | 'recovery' | 'passkey';
const MFA_METHODS: readonly string[] = ['email', 'sms', 'totp', 'recovery', 'passkey'];
const method = (value: unknown): MfaMethod | undefined => (typeof value === 'string' && MFA_METHODS.includes(value) ? (value as MfaMethod) : undefined);

/** The mapped upstream claims kept for the link (Apple sends the name once): string values only. */
const linkClaims = (value: unknown): Record<string, string> | undefined => {
  if (typeof value !== 'object' || value === null) return undefined;
  const claims = Object.fromEntries(Object.entries(value).filter((entry): entry is [string, string] => typeof entry[1] === 'string'));
  return Object.keys(claims).length ? claims : undefined;
};

const federatedLink = (value: unknown): FlowState['federatedLink'] => {
  const link = value as { connectionId?: unknown; subject?: unknown; claims?: unknown } | undefined;
  if (typeof link?.connectionId !== 'string' || typeof link.subject !== 'string') return undefined;
  const claims = linkClaims(link.claims);
  return { connectionId: link.connectionId, subject: link.subject, ...(claims ? { claims } : {}) };
};

const pendingLink = (value: unknown): FlowState['pendingLink'] => {
  const link = federatedLink(value);
  const email = (value as { email?: unknown } | undefined)?.email;
  return link && typeof email === 'string' ? { ...link, email } : undefined;
};

const linkProof = (value: unknown): FlowState['linkProof'] => {
  const proof = value as { accountId?: unknown; amr?: unknown; acr?: unknown; ts?: unknown } | undefined;
  if (typeof proof?.accountId !== 'string' || typeof proof.acr !== 'string' || typeof proof.ts !== 'number') return undefined;
  if (!Array.isArray(proof.amr) || !proof.amr.every((entry) => typeof entry === 'string')) return undefined;
  return { accountId: proof.accountId, amr: proof.amr as string[], acr: proof.acr, ts: proof.ts };
};

const signUpConsents = (value: unknown): FlowState['signUpConsents'] => {
  const given = value as { purposes?: unknown; terms?: unknown } | undefined;
  if (!given || typeof given.purposes !== 'object' || given.purposes === null) return undefined;
  const purposes = Object.fromEntries(Object.entries(given.purposes).filter((entry): entry is [string, number] => typeof entry[1] === 'number'));
  return { purposes, terms: typeof given.terms === 'number' ? given.terms : null };
};

interface Envelope extends FlowState {
  uid: string;
  exp: number;
}

const TTL_SECONDS = 60 * 60;

export class FlowCookie {
  private readonly key: Buffer;
  private readonly secure: boolean;

  constructor(key: Buffer, secure: boolean) {
    this.key = key;
    this.secure = secure;
  }

  private name(): string {
    return this.secure ? '__Secure-idp-flow' : 'idp-flow';
  }

  private sign(value: string): string {
    return createHmac('sha256', this.key).update(value).digest('base64url');
  }

  write(ctx: Context, uid: string, state: FlowState): void {
    const payload = Buffer.from(JSON.stringify({ ...state, uid, exp: Math.floor(Date.now() / 1000) + TTL_SECONDS })).toString('base64url');
    ctx.cookies.set(this.name(), `${payload}.${this.sign(payload)}`, {
      httpOnly: true,
      sameSite: 'lax',
      secure: this.secure,
      path: `/interaction/${uid}`,
      maxAge: TTL_SECONDS * 1000,
      signed: false,
      overwrite: true,
    });
  }

  /** The state of this interaction, or an empty state when missing, forged, expired or from another interaction. */
  read(ctx: Context, uid: string): FlowState {
    const raw = ctx.cookies.get(this.name(), { signed: false });
    if (!raw) return {};
    const [payload, signature] = raw.split('.');
    if (!payload || !signature || !constantTimeEqual(signature, this.sign(payload))) return {};
    try {
      const envelope = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Envelope;
      if (envelope.uid !== uid || envelope.exp < Date.now() / 1000) return {};
      return {
        email: envelope.email,
        accountId: envelope.accountId,
        info: envelope.info,
        stepUpSent: envelope.stepUpSent === true,
        mfaMethod: method(envelope.mfaMethod),
        secondFactor: method(envelope.secondFactor),
        enrolFactorId: typeof envelope.enrolFactorId === 'string' ? envelope.enrolFactorId : undefined,
        passkeySignup: envelope.passkeySignup === true,
        verifiedAccountId: typeof envelope.verifiedAccountId === 'string' ? envelope.verifiedAccountId : undefined,
        passwordAccountId: typeof envelope.passwordAccountId === 'string' ? envelope.passwordAccountId : undefined,
        passwordAt: typeof envelope.passwordAt === 'number' ? envelope.passwordAt : undefined,
        codeSignIn: envelope.codeSignIn === true,
        phone: typeof envelope.phone === 'string' ? envelope.phone : undefined,
        phoneSignUp: envelope.phoneSignUp === true,
        phoneSignUpDecoy: envelope.phoneSignUpDecoy === true,
        federatedLink: federatedLink(envelope.federatedLink),
        pendingLink: pendingLink(envelope.pendingLink),
        linkProof: linkProof(envelope.linkProof),
        signUpConsents: signUpConsents(envelope.signUpConsents),
      };
    } catch {
      return {};
    }
  }
}
