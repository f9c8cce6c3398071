// Per-file fixtures: a real server on one store, an SMTP sink for its mail, an HTTP sink for its SMS
// (the signed webhook), and a first-party client.
import { allowFerretDbTime } from './ferretdb-timeout.ts';
import { startSmsSink, type SmsSink } from './sms-sink.ts';
import { startSmtpSink, type SmtpSink } from './smtp-sink.ts';
import { startTestServer, type StoreKind, type TestServer } from './test-server.ts';
import { discover, type oidc, registerClient, type RegisteredClient } from './oidc-client.ts';

export interface MemberServer {
  sink: SmtpSink;
  sms: SmsSink;
  server: TestServer;
  client: RegisteredClient;
  config: oidc.Configuration;
}

/** Registers beforeAll/afterAll hooks; the returned object is filled in before the first test runs. */
/** `publicHost`: the issuer's host name (passkeys need a domain such as localhost, not an IP). */
export function useMemberServer(store: StoreKind, env: Record<string, string> = {}, options: { publicHost?: string } = {}): MemberServer {
  const fixture = {} as MemberServer;
  if (store === 'mongo') allowFerretDbTime();
  beforeAll(async () => {
    fixture.sink = await startSmtpSink();
    fixture.sms = await startSmsSink();
    fixture.server = await startTestServer({
      store,
      env: { SMTP_URL: fixture.sink.url, SMS_WEBHOOK_URL: fixture.sms.url, SMS_WEBHOOK_SECRET: fixture.sms.secret, ...env },
      ...options,
    });
    fixture.client = await registerClient(fixture.server, { first_party: true });
    fixture.config = await discover(fixture.server, fixture.client);
  });
  afterAll(async () => {
    await fixture.server?.close();
    await fixture.sink?.close();
    await fixture.sms?.close();
  });
  return fixture;
}
