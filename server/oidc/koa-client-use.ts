// Records "last used" for the "Apps and partners" page: one write per successful code, refresh or device-code
// exchange at the token endpoint (a sign-in or a refresh at the client), never per page or per API call.
import type { KoaContextWithOIDC } from 'oidc-provider';
import type { Logger } from 'pino';

type Next = () => Promise<unknown>;

export interface ClientUseRecorder {
  recordUse(accountId: string, clientId: string): Promise<void>;
}

export function recordClientUse(recorder: ClientUseRecorder, logger: Logger) {
  return async function clientUse(ctx: KoaContextWithOIDC, next: Next): Promise<void> {
    await next();
    if (ctx.oidc?.route !== 'token' || ctx.status !== 200) return;
    const { AuthorizationCode: code, RefreshToken: refresh, DeviceCode: device, Client: client } = ctx.oidc.entities;
    const accountId = (code ?? refresh ?? device)?.accountId;
    if (!accountId || !client) return;
    // Awaited so the page shows it at once; a failure only leaves an older "last used", never fails the tokens.
    await recorder.recordUse(accountId, client.clientId).catch((error: unknown) => logger.warn({ err: error }, 'client use not recorded'));
  };
}
