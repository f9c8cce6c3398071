// A local stand-in for Facebook Login and the Graph API (node:http): the dialog, the token endpoint (secret, single-use code, PKCE) and `me` checking appsecret_proof.
import { createHash, createHmac, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GraphUser {
  id: string;
  name?: string;
  email?: string;
  first_name?: string;
  last_name?: string;
}

export interface FacebookStandIn {
  /** http://127.0.0.1:<port>: the connection's base_url. */
  url: string;
  appId: string;
  appSecret: string;
  /** Who the dialog signs in next (the member at facebook.com); undefined: the member cancels. */
  nextUser: GraphUser | undefined;
  /** Each `me` call: the fields asked and whether its appsecret_proof was right. */
  meCalls: Array<{ fields: string | null; proofValid: boolean }>;
  /** Each dialog request's query (to check state and PKCE were sent). */
  dialogs: URLSearchParams[];
  close(): Promise<void>;
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

const VERSION = /^\/v\d+\.\d+/;

export async function startFacebookStandIn(): Promise<FacebookStandIn> {
  const codes = new Map<string, { user: GraphUser; redirectUri: string; challenge: string | null }>();
  const tokens = new Map<string, GraphUser>();
  const server: Server = createServer();
  const standIn: FacebookStandIn = {
    url: '', appId: String(Date.now()), appSecret: randomBytes(16).toString('hex'), nextUser: undefined, meCalls: [], dialogs: [],
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const json = (res: ServerResponse, status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  server.on('request', (req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', standIn.url);
      const path = url.pathname.replace(VERSION, '');
      if (req.method === 'GET' && path === '/dialog/oauth') {
        standIn.dialogs.push(url.searchParams);
        const back = new URL(url.searchParams.get('redirect_uri')!);
        back.searchParams.set('state', url.searchParams.get('state') ?? '');
        if (url.searchParams.get('client_id') !== standIn.appId || !standIn.nextUser) {
          back.searchParams.set('error', 'access_denied');
          back.searchParams.set('error_reason', 'user_denied');
        } else {
          const code = randomBytes(16).toString('hex');
          codes.set(code, { user: standIn.nextUser, redirectUri: url.searchParams.get('redirect_uri')!, challenge: url.searchParams.get('code_challenge') });
          back.searchParams.set('code', code);
        }
        return res.writeHead(302, { location: back.href }).end();
      }
      if (req.method === 'POST' && path === '/oauth/access_token') {
        const form = await readForm(req);
        if (form.get('client_id') !== standIn.appId || form.get('client_secret') !== standIn.appSecret) return json(res, 400, { error: { message: 'Error validating client secret.', type: 'OAuthException', code: 1 } });
        const code = form.get('code') ?? '';
        const issued = codes.get(code);
        codes.delete(code);
        if (!issued || issued.redirectUri !== form.get('redirect_uri')) return json(res, 400, { error: { message: 'Invalid verification code format.', type: 'OAuthException', code: 100 } });
        const verifier = form.get('code_verifier') ?? '';
        if (issued.challenge !== createHash('sha256').update(verifier).digest('base64url')) return json(res, 400, { error: { message: 'Invalid code verifier.', type: 'OAuthException', code: 100 } });
        const token = randomBytes(24).toString('hex');
        tokens.set(token, issued.user);
        return json(res, 200, { access_token: token, token_type: 'bearer', expires_in: 5183944 });
      }
      if (req.method === 'GET' && path === '/me') {
        const token = (req.headers.authorization ?? '').replace(/^Bearer /i, '') || url.searchParams.get('access_token') || '';
        const user = tokens.get(token);
        const proofValid = url.searchParams.get('appsecret_proof') === createHmac('sha256', standIn.appSecret).update(token).digest('hex');
        standIn.meCalls.push({ fields: url.searchParams.get('fields'), proofValid });
        if (!user) return json(res, 400, { error: { message: 'Invalid OAuth access token.', type: 'OAuthException', code: 190 } });
        if (!proofValid) return json(res, 400, { error: { message: 'Invalid appsecret_proof provided in the API argument', type: 'GraphMethodException', code: 100 } });
        return json(res, 200, user);
      }
      res.writeHead(404).end();
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  standIn.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return standIn;
}
