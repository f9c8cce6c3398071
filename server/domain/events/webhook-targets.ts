// The outbound policy of webhook deliveries: https only (http to a loopback receiver outside production), private
// and link-local targets refused after DNS resolution, no redirects (the client's rule), 5 s, a bounded answer.
import type { OutboundPolicy } from '../../security/outbound/outbound-fetch.ts';

export function webhookTargets(production: boolean): OutboundPolicy {
  return { name: 'webhook', allowLoopback: !production, requireHttps: true, timeoutMs: 5000, maxResponseBytes: 64 * 1024 };
}
