// Development mailer: appends each message to DATA_DIR/outbox.jsonl and logs it, so codes are visible without SMTP.
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ensurePrivateDir, ensurePrivateFile } from '../security/private-files.ts';
import type { Mailer, OutgoingEmail } from '../domain/mail/mailer.ts';

export function createOutboxMailer(dataDir: string, from: string, logger: Logger): Mailer {
  const file = join(dataDir, 'outbox.jsonl');
  return {
    async send(message: OutgoingEmail) {
      // Codes are in here: 0600 in a 0700 DATA_DIR whatever the umask (cheap: development only).
      ensurePrivateDir(dataDir);
      ensurePrivateFile(file);
      await appendFile(file, JSON.stringify({ at: new Date().toISOString(), from, ...message }) + '\n', { mode: 0o600 });
      // Development only (production refuses to boot without SMTP_URL), so showing the body is the point.
      logger.info({ to: message.to, subject: message.subject, body: message.text, outbox: file }, 'dev outbox: email not sent');
    },
    async close() {},
  };
}
