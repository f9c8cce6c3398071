// The emails of the member's data rights (export ready, deletion scheduled), in the member's language.
import { translate } from '../../i18n/messages.ts';
import type { OutgoingEmail } from '../mail/mailer.ts';

export function exportReady(to: string, lang: string, link: string, expiresAt: Date): OutgoingEmail {
  return {
    to,
    subject: translate(lang, 'email.data_export_ready.subject'),
    text: translate(lang, 'email.data_export_ready.text', { link, date: expiresAt }),
    lang,
  };
}

export function deletionScheduled(to: string, lang: string, link: string, eraseAt: Date): OutgoingEmail {
  return {
    to,
    subject: translate(lang, 'email.deletion_scheduled.subject'),
    text: translate(lang, 'email.deletion_scheduled.text', { link, date: eraseAt }),
    lang,
  };
}
