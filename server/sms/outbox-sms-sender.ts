// Development SMS sender: appends each message to DATA_DIR/sms-outbox.jsonl and logs it, so codes are visible without a provider.
import { appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ensurePrivateDir, ensurePrivateFile } from '../security/private-files.ts';
import type { OutgoingSms, SmsSender } from '../domain/sms/sms-sender.ts';

export function createOutboxSmsSender(dataDir: string, logger: Logger): SmsSender {
  const file = join(dataDir, 'sms-outbox.jsonl');
  return {
    async send(message: OutgoingSms) {
      // Codes are in here: 0600 in a 0700 DATA_DIR whatever the umask (cheap: development only).
      ensurePrivateDir(dataDir);
      ensurePrivateFile(file);
      await appendFile(file, JSON.stringify({ at: new Date().toISOString(), ...message }) + '\n', { mode: 0o600 });
      // Development only: production without SMS_WEBHOOK_URL offers no SMS at all (config.sms.enabled),
      // so showing the text, code included, is the point here.
      logger.info({ to: message.to, text: message.text, outbox: file }, 'dev outbox: SMS not sent');
    },
    async close() {},
  };
}
