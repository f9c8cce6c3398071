// The text of every account email, in the member's language (copy in server/i18n/locales/<tag>.json,
// ids email.<kind>.*). Codes stand alone on their own line so members (and tests) find them.
import { translate } from '../../i18n/messages.ts';
import type { MessageId, MessageParams } from '../../i18n/messages.ts';
import type { OutgoingEmail } from '../mail/mailer.ts';

type EmailKind =
  | 'verification_code' | 'password_reset_code' | 'already_registered' | 'password_changed' | 'step_up_code'
  | 'passkey_added' | 'sign_in_code' | 'security_changed' | 'card_claim_code' | 'sign_ins_blocked' | 'unlock_link'
  | 'weak_password_upgraded' | 'email_change_code' | 'email_changed' | 'kiosk_finish';

function email(to: string, lang: string, kind: EmailKind, params?: MessageParams): OutgoingEmail {
  return {
    to,
    subject: translate(lang, `email.${kind}.subject` as MessageId, params),
    text: translate(lang, `email.${kind}.text` as MessageId, params),
    lang,
  };
}

export function verificationCode(to: string, code: string, lang: string): OutgoingEmail {
  return email(to, lang, 'verification_code', { code });
}

export function passwordResetCode(to: string, code: string, lang: string): OutgoingEmail {
  return email(to, lang, 'password_reset_code', { code });
}

export function alreadyRegistered(to: string, lang: string): OutgoingEmail {
  return email(to, lang, 'already_registered');
}

export function passwordChanged(to: string, lang: string): OutgoingEmail {
  return email(to, lang, 'password_changed');
}

/** After a sign-in with a password the old system stored weakly: it is now argon2id, and should not be reused. */
export function weakPasswordHashUpgraded(to: string, lang: string): OutgoingEmail {
  return email(to, lang, 'weak_password_upgraded');
}

export function stepUpCode(to: string, code: string, lang: string): OutgoingEmail {
  return email(to, lang, 'step_up_code', { code });
}

export function passkeyAdded(to: string, lang: string): OutgoingEmail {
  return email(to, lang, 'passkey_added');
}

export function signInCode(to: string, code: string, lang: string): OutgoingEmail {
  return email(to, lang, 'sign_in_code', { code });
}

/** What changed, for securityChanged: a message id (email.change.*) and its values. */
export interface SecurityChange {
  id: Extract<MessageId, `email.change.${string}`>;
  params?: MessageParams;
}

/** A factor or sign-in method was added or removed: the owner hears about it even if a thief did it. */
export function securityChanged(to: string, change: SecurityChange, lang: string): OutgoingEmail {
  return email(to, lang, 'security_changed', { change: translate(lang, change.id, change.params) });
}

/** Sent to the contact on file of an imported card, not to the account asking: whoever reads it owns the card. */
export function cardClaimCode(to: string, last4: string, code: string, lang: string): OutgoingEmail {
  return email(to, lang, 'card_claim_code', { last4, code });
}

/** Sent once a day at most when sign-ins to the account start being blocked or challenged. */
export function signInsBlocked(to: string, lang: string): OutgoingEmail {
  return email(to, lang, 'sign_ins_blocked');
}

/** The unlock link of an account under attack: opened in a browser, it marks that browser as the member's. */
export function unlockLink(to: string, url: string, lang: string): OutgoingEmail {
  return email(to, lang, 'unlock_link', { url });
}

/** The code that proves a member owns the address they want as their new email (sent to that address only). */
export function emailChangeCode(to: string, code: string, lang: string): OutgoingEmail {
  return email(to, lang, 'email_change_code', { code });
}

/** To the old address after a change: who did not ask for it restores the old address with the link (7 days). */
export function emailChanged(to: string, newEmail: string, url: string, lang: string): OutgoingEmail {
  return email(to, lang, 'email_changed', { newEmail, url });
}

/** After a sign-up on a shared kiosk (issue 21): finish on the member's own phone (a passkey, the profile). */
export function kioskFinishOnPhone(to: string, url: string, lang: string): OutgoingEmail {
  return email(to, lang, 'kiosk_finish', { url });
}
