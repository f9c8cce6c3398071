// Which clients are shared in-store kiosks (client metadata enrolment_channel: kiosk): their pages run in
// kiosk mode (shared-device notice, idle end, no remembered session, no device trust).

interface ClientLike {
  metadata(): object;
}

export function isKioskClient(client: ClientLike | undefined | null): boolean {
  return (client?.metadata() as { enrolment_channel?: unknown } | undefined)?.enrolment_channel === 'kiosk';
}
