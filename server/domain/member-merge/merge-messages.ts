// The code that proves ownership of the other account of a merge (issue 21 item 1), by email and by SMS, in the
// member's language (ids email.merge_code.* and sms.merge_code). Sent to the other account's contact only.
import { translate } from '../../i18n/messages.ts';
import type { OutgoingEmail } from '../mail/mailer.ts';
import type { OutgoingSms } from '../sms/sms-sender.ts';

export function mergeCodeEmail(to: string, code: string, lang: string): OutgoingEmail {
  return { to, subject: translate(lang, 'email.merge_code.subject'), text: translate(lang, 'email.merge_code.text', { code }), lang };
}

/** The WebOTP last line ("@host #code", never translated) like every code SMS, so phones fill it in on our pages only. */
export function mergeCodeSms(to: string, code: string, host: string, lang: string): OutgoingSms {
  return { to, text: `${translate(lang, 'sms.merge_code', { code })}\n\n@${host} #${code}` };
}
