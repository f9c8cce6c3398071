// Mailer over SMTP (nodemailer), configured by SMTP_URL.
import nodemailer from 'nodemailer';
import type { Mailer, OutgoingEmail } from '../domain/mail/mailer.ts';

export function createSmtpMailer(smtpUrl: string, from: string): Mailer {
  const transport = nodemailer.createTransport(smtpUrl);
  return {
    async send(message: OutgoingEmail) {
      // The program's name (BRANDING_FILE) as the display name, SMTP_FROM's address ("Name <address>" or bare).
      const sender = message.fromName ? { name: message.fromName, address: /<([^<>]+)>\s*$/.exec(from)?.[1] ?? from.trim() } : from;
      await transport.sendMail({ from: sender, to: message.to, subject: message.subject, text: message.text });
    },
    async close() {
      transport.close();
    },
  };
}
