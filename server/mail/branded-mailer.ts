// Emails carry the program's name (BRANDING_FILE): as the sender's display name and in a signature, in the
// message's language, with the program's support link when it has one. Without a program name, mail is unchanged.
import { translate } from '../i18n/messages.ts';
import { type Branding, inLanguage } from '../branding/branding-file.ts';
import type { Mailer } from '../domain/mail/mailer.ts';

export function brandedMailer(inner: Mailer, branding: Branding, defaultLanguage: string): Mailer {
  if (!branding.programName) return inner;
  const programName = branding.programName;
  return {
    send(message, options) {
      const lang = message.lang ?? defaultLanguage;
      const program = inLanguage(programName, lang) ?? programName.default;
      const support = inLanguage(branding.supportUrl, lang);
      const lines = [translate(lang, 'email.signature', { program }), ...(support ? [translate(lang, 'email.signature_support', { url: support })] : [])];
      // "-- " on its own line is the signature separator mail clients recognise (RFC 3676 §4.3).
      const text = `${message.text.trimEnd()}\n\n-- \n${lines.join('\n')}\n`;
      return inner.send({ ...message, text, fromName: message.fromName ?? program }, options);
    },
    close: () => inner.close(),
  };
}
