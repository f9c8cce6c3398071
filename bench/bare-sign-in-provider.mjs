// Baseline for bench/sign-in-throughput.mjs: a bare oidc-provider with its in-memory adapter and the least a
// password sign-in needs (a form, one argon2id verify with the server's parameters, a grant), so the benchmark can
// say how much of a full sign-in's cost is the protocol library itself rather than what we add.
// Members come on stdin as JSON lines {"email","hash"} (the argon2id hashes the benchmark seeded our store with), ended
// by an empty line.
import { createServer } from 'node:http';
import { createInterface } from 'node:readline';
import { URLSearchParams } from 'node:url';
import Provider from 'oidc-provider';
import { verifyPassword } from '../dist/server/domain/accounts/password-hasher.js';

const port = Number(process.env.PORT ?? 0);
const issuer = `http://127.0.0.1:${port}`;
const hashes = new Map();
for await (const line of createInterface({ input: process.stdin })) {
  if (line.trim() === '') break;
  const { email, hash } = JSON.parse(line);
  hashes.set(email, hash);
}

const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.CLIENT_ID,
    redirect_uris: [process.env.REDIRECT_URI],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'none',
  }],
  findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
  interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
  features: { devInteractions: { enabled: false } },
  cookies: { keys: ['bench-cookie-key-0123456789abcdef'] },
});
provider.proxy = true;

const page = (uid) => `<!doctype html><html><body><form method="post" action="/interaction/${uid}/login">`
  + '<input type="hidden" name="csrf" value="none"><input name="email"><input name="password" type="password">'
  + '<button>Sign in</button></form></body></html>';

async function readForm(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return new URLSearchParams(body);
}

const callback = provider.callback();
const server = createServer(async (req, res) => {
  const match = /^\/interaction\/([\w-]+)(\/login)?$/.exec(req.url ?? '');
  if (!match) return callback(req, res);
  try {
    const details = await provider.interactionDetails(req, res);
    if (!match[2]) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      return res.end(page(details.uid));
    }
    const form = await readForm(req);
    const email = form.get('email');
    const hash = hashes.get(email);
    if (!hash || !(await verifyPassword(hash, form.get('password') ?? ''))) {
      res.writeHead(400, { 'content-type': 'text/plain' });
      return res.end('wrong');
    }
    const grant = new provider.Grant({ accountId: email, clientId: details.params.client_id });
    grant.addOIDCScope('openid');
    const grantId = await grant.save();
    return provider.interactionFinished(req, res, { login: { accountId: email }, consent: { grantId } }, { mergeWithLastSubmission: false });
  } catch (error) {
    res.writeHead(500, { 'content-type': 'text/plain' });
    return res.end(String(error));
  }
});
server.listen(port, '127.0.0.1', () => process.stdout.write(`ready ${server.address().port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
