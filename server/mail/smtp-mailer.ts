// Mailer over SMTP (nodemailer), configured by SMTP_URL.
import nodemailer from 'nodemailer';
import type { Mailer, OutgoingEmail } from '../domain/mail/mailer.ts';

export function createSmtpMailer(smtpUrl: string, from: string): Mailer {
  const transport = nodemailer.createTransport(smtpUrl);
  return {
    async send(message: OutgoingEmail) {
      await transport.sendMail({ from, to: message.to, subject: message.subject, text: message.text });
    },
    async close() {
      transport.close();
    },
  };
}
