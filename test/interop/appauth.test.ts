// Recipe "AppAuth" (docs/partners.md): a mobile app (native, public client, custom-scheme redirect, PKCE) signs
// a member in with AppAuth-JS 1.4, the library AppAuth for Android and iOS mirror: discovery through
// fetchFromIssuer, the authorization request with its S256 challenge, the code exchange and a refresh with
// its token request handler, over Node's HTTP (NodeRequestor). Only the system browser is replaced: AppAuth's
// Node handler would launch one with `opener`; here the test browser follows the URL AppAuth built.
// The package's own index re-exports without file extensions, which TypeScript's node16 resolution cannot
// follow: each module is imported from its file (Node and jest load them the same way either way).
import { AuthorizationRequest } from '@openid/appauth/built/src/authorization_request.js';
import { AuthorizationRequestHandler, type AuthorizationRequestResponse } from '@openid/appauth/built/src/authorization_request_handler.js';
import { AuthorizationServiceConfiguration } from '@openid/appauth/built/src/authorization_service_configuration.js';
import { BasicQueryStringUtils } from '@openid/appauth/built/src/query_string_utils.js';
import { GRANT_TYPE_AUTHORIZATION_CODE, GRANT_TYPE_REFRESH_TOKEN, TokenRequest } from '@openid/appauth/built/src/token_request.js';
import { BaseTokenRequestHandler } from '@openid/appauth/built/src/token_request_handler.js';
import { NodeCrypto } from '@openid/appauth/built/src/node_support/crypto_utils.js';
import { NodeRequestor } from '@openid/appauth/built/src/node_support/node_requestor.js';
import { decodeJwt } from 'jose';
import { adminCreate, memberSignsUpThrough } from '../support/interop.ts';
import { useMemberServer } from '../support/suite.ts';
import { STORES } from '../support/test-server.ts';

const REDIRECT = 'com.example.shop:/oauth2redirect';

/** AppAuth's own URL building (buildRequestUrl), without opening a browser. */
class TestBrowserHandler extends AuthorizationRequestHandler {
  url = '';

  constructor() {
    super(new BasicQueryStringUtils(), new NodeCrypto());
  }

  async performAuthorizationRequest(configuration: AuthorizationServiceConfiguration, request: AuthorizationRequest): Promise<void> {
    await request.setupCodeVerifier();
    this.url = this.buildRequestUrl(configuration, request);
  }

  protected async completeAuthorizationRequest(): Promise<AuthorizationRequestResponse | null> {
    return null;
  }
}

describe.each(STORES)('recipe: AppAuth (%s)', (store) => {
  const fx = useMemberServer(store);

  test('a native app signs in with code + PKCE through a custom-scheme redirect and refreshes', async () => {
    const registered = await adminCreate(fx.server, 'clients', {
      client_name: 'Shop app',
      application_type: 'native',
      token_endpoint_auth_method: 'none',
      redirect_uris: [REDIRECT],
      grant_types: ['authorization_code', 'refresh_token'],
      scope: 'openid email offline_access',
    });
    const requestor = new NodeRequestor();
    const configuration = await AuthorizationServiceConfiguration.fetchFromIssuer(fx.server.url, requestor);

    const request = new AuthorizationRequest({
      client_id: registered.client_id,
      redirect_uri: REDIRECT,
      scope: 'openid email offline_access',
      response_type: AuthorizationRequest.RESPONSE_TYPE_CODE,
      extras: { prompt: 'consent' },
    }, new NodeCrypto(), true);
    const browser = new TestBrowserHandler();
    await browser.performAuthorizationRequest(configuration, request);
    expect(new URL(browser.url).searchParams.get('code_challenge_method')).toBe('S256');

    const { callbackUrl, email } = await memberSignsUpThrough(fx, browser.url);
    const callback = new URL(callbackUrl);
    expect(callbackUrl.startsWith(REDIRECT)).toBe(true);
    expect(callback.searchParams.get('state')).toBe(request.state);

    const tokens = new BaseTokenRequestHandler(requestor);
    const response = await tokens.performTokenRequest(configuration, new TokenRequest({
      client_id: registered.client_id,
      redirect_uri: REDIRECT,
      grant_type: GRANT_TYPE_AUTHORIZATION_CODE,
      code: callback.searchParams.get('code')!,
      extras: { code_verifier: request.internal!.code_verifier! },
    }));
    expect(decodeJwt(response.idToken!)).toMatchObject({ iss: fx.server.url, aud: registered.client_id });
    expect(response.refreshToken).toBeTruthy();
    const userinfo = await fetch(configuration.userInfoEndpoint!, { headers: { authorization: `Bearer ${response.accessToken}` } });
    expect(await userinfo.json()).toMatchObject({ email });

    const refreshed = await tokens.performTokenRequest(configuration, new TokenRequest({
      client_id: registered.client_id,
      redirect_uri: REDIRECT,
      grant_type: GRANT_TYPE_REFRESH_TOKEN,
      refresh_token: response.refreshToken!,
    }));
    expect(refreshed.accessToken).not.toBe(response.accessToken);
    expect(refreshed.refreshToken).not.toBe(response.refreshToken);
  });
});
