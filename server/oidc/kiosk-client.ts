// Which clients are shared in-store kiosks (client metadata enrolment_channel: kiosk): their pages run in
// kiosk mode (shared-device notice, idle end, no remembered session, no device trust).
import { clientMetadata } from './client-metadata.ts';

interface ClientLike {
  metadata(): object;
}

export function isKioskClient(client: ClientLike | undefined | null): boolean {
  return (client ? (clientMetadata(client) as { enrolment_channel?: unknown }) : undefined)?.enrolment_channel === 'kiosk';
}

/**
 * How long the server keeps an idle kiosk flow and session: the page's countdown (KIOSK_IDLE_SECONDS) ends
 * the flow itself at zero, through the flow; the server's own end comes a little later (at most 5 s), so
 * the countdown's request still finds the flow and can send the kiosk back to the client's start. Without
 * the page (JavaScript off, browser closed) the server's end is the one that counts.
 */
export function kioskServerIdleSeconds(idleSeconds: number): number {
  return idleSeconds + Math.min(5, Math.ceil(idleSeconds / 10));
}
