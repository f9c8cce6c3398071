// Host-header injection through an absolute-form request target (`GET http://evil.example/... HTTP/1.1`):
// Koa answers ctx.href with that target as sent, and oidc-provider builds its absolute URLs from ctx.href,
// so discovery, a device code's link and redirects must still name the ISSUER (cache poisoning otherwise).
import { request as httpRequest } from 'node:http';
import { useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';
import { registerClient } from '../support/oidc-client.ts';

const EVIL = 'http://evil.example';

interface Raw { status: number; body: string }

/** node:http writes `path` as the request target verbatim, so it can be the absolute form a proxy would get. */
function absoluteForm(base: string, target: string, body?: string): Promise<Raw> {
  const url = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({
      host: url.hostname, port: url.port, path: target, method: body === undefined ? 'GET' : 'POST',
      headers: body === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(Buffer.byteLength(body)) },
    }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => { text += chunk; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe.each(STORES)('an absolute-form request target does not change absolute URLs (%s)', (store) => {
  const fx = useMemberServer(store);
  const issuer = () => fx.server.url;

  test('discovery names the issuer, not the authority of the request target', async () => {
    const discovery = await absoluteForm(issuer(), `${EVIL}/.well-known/openid-configuration`);
    expect(discovery.status).toBe(200);
    expect(discovery.body).not.toContain('evil.example');
    const metadata = JSON.parse(discovery.body) as Record<string, unknown>;
    expect(String(metadata.token_endpoint)).toBe(`${issuer()}/token`);
    expect(String(metadata.jwks_uri)).toBe(`${issuer()}/jwks`);
  });

  test('a device code\'s verification URIs name the issuer', async () => {
    const kiosk = await registerClient(fx.server, {
      token_endpoint_auth_method: 'none', application_type: 'native', grant_types: ['urn:ietf:params:oauth:grant-type:device_code'],
      response_types: [], redirect_uris: [], client_name: 'Kiosk',
    });
    const device = await absoluteForm(issuer(), `${EVIL}/device/auth`, `client_id=${kiosk.clientId}&scope=openid`);
    expect(device.status).toBe(200);
    const body = JSON.parse(device.body) as { verification_uri: string; verification_uri_complete: string };
    expect(body.verification_uri).toBe(`${issuer()}/device`);
    expect(body.verification_uri_complete.startsWith(`${issuer()}/device?`)).toBe(true);
  });
});
