// Which SMS sender a process uses, from its configuration.
import type { Logger } from 'pino';
import type { Config } from '../../config/index.ts';
import type { SmsSender } from '../domain/sms/sms-sender.ts';
import type { OutboundClient } from '../security/outbound/outbound-fetch.ts';
import { createOutboxSmsSender } from './outbox-sms-sender.ts';
import { createWebhookSmsSender } from './webhook-sms-sender.ts';

/** The SMS provider webhook when configured; the dev outbox outside production; else none (no SMS offered). */
export function createSmsSender(config: Readonly<Config>, logger: Logger, outbound: OutboundClient): SmsSender | undefined {
  const { webhookUrl, webhookSecret } = config.sms;
  if (webhookUrl && webhookSecret) return createWebhookSmsSender({ url: webhookUrl, secret: webhookSecret, logger, outbound });
  return config.sms.enabled ? createOutboxSmsSender(config.dataDir, logger) : undefined;
}
