// The text of every SMS, in the member's language (ids sms.*). Short (one segment), the code first, and a
// last line in the WebOTP format ("@host #code", never translated) so phones offer to fill the code in on our pages only.
import { translate } from '../../i18n/messages.ts';
import type { MessageId } from '../../i18n/messages.ts';
import type { OutgoingSms } from './sms-sender.ts';

function withOrigin(to: string, id: Extract<MessageId, `sms.${string}`>, code: string, host: string, lang: string): OutgoingSms {
  return { to, text: `${translate(lang, id, { code })}\n\n@${host} #${code}` };
}

export function smsStepUpCode(to: string, code: string, host: string, lang: string): OutgoingSms {
  return withOrigin(to, 'sms.step_up_code', code, host, lang);
}

export function smsSignInCode(to: string, code: string, host: string, lang: string): OutgoingSms {
  return withOrigin(to, 'sms.sign_in_code', code, host, lang);
}

export function smsPhoneVerificationCode(to: string, code: string, host: string, lang: string): OutgoingSms {
  return withOrigin(to, 'sms.phone_verification_code', code, host, lang);
}

export function smsCardClaimCode(to: string, code: string, host: string, lang: string): OutgoingSms {
  return withOrigin(to, 'sms.card_claim_code', code, host, lang);
}

/** Sign-up by mobile number (issue 21): the code that proves the number before the account exists. */
export function smsPhoneSignUpCode(to: string, code: string, host: string, lang: string): OutgoingSms {
  return withOrigin(to, 'sms.phone_sign_up_code', code, host, lang);
}

/** Someone tried to join with a member's number: the member is told instead of getting a code (as by email). */
export function smsPhoneSignUpMember(to: string, lang: string): OutgoingSms {
  return { to, text: translate(lang, 'sms.phone_sign_up_member') };
}

/** After enrolment by mobile on a shared kiosk: finish on the member's own phone (a passkey, the profile). */
export function smsKioskFinish(to: string, url: string, lang: string): OutgoingSms {
  return { to, text: translate(lang, 'sms.kiosk_finish', { url }) };
}
