// Which channel a consent given through a client's pages came from: the client's declared enrolment_channel
// (web, app, kiosk, partner), web by default.
import type { Context } from 'koa';
import type { ConsentChannel } from '../../server/domain/consent/purpose-consents.repository.ts';
import { clientMetadata } from '../../server/oidc/client-metadata.ts';

const FROM_CLIENT: readonly ConsentChannel[] = ['web', 'app', 'kiosk', 'partner'];

export function consentChannel(ctx: Context): ConsentChannel {
  const client = ctx.state.client as { metadata(): { enrolment_channel?: unknown } } | undefined;
  const declared = client ? clientMetadata(client).enrolment_channel : undefined;
  return FROM_CLIENT.find((channel) => channel === declared) ?? 'web';
}

export function clientIdOf(ctx: Context): string | null {
  const id = (ctx.state.client as { clientId?: unknown } | undefined)?.clientId;
  return typeof id === 'string' ? id : null;
}
