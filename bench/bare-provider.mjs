// Baseline for bench/token-throughput.mjs: a bare oidc-provider with its in-memory adapter and one
// client-credentials client, nothing of ours in front of it.
import { createServer } from 'node:http';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT ?? 0);
const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.CLIENT_ID,
    client_secret: process.env.CLIENT_SECRET,
    grant_types: ['client_credentials'],
    response_types: [],
    redirect_uris: [],
    scope: 'admin',
  }],
  scopes: ['openid', 'admin'],
  features: { clientCredentials: { enabled: true }, devInteractions: { enabled: false } },
});
const server = createServer(provider.callback());
server.listen(port, '127.0.0.1', () => process.stdout.write(`ready ${server.address().port}\n`));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
