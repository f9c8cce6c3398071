// OAuth calls the benchmarks make as a partner's back end would: a client-credentials token and an admin POST.
import { Buffer } from 'node:buffer';
import { URLSearchParams } from 'node:url';
import { exchange } from './processes.mjs';

/** A client-credentials access token; `params` adds scope / resource. */
export async function clientCredentials(base, clientId, secret, params, { agent, timeoutMs = 15_000 } = {}) {
  const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(secret)}`).toString('base64');
  const response = await exchange(`${base}/token`, {
    method: 'POST', agent, timeoutMs,
    headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'client_credentials', ...params }).toString(),
  });
  const body = JSON.parse(response.text);
  if (!body.access_token) throw new Error(`client_credentials for ${clientId}: ${response.status} ${response.text}`);
  return body.access_token;
}

/** POST a JSON body to the admin API; resolves with the created resource (201) or throws. */
export async function adminPost(base, token, path, body, { agent, timeoutMs = 15_000 } = {}) {
  const response = await exchange(`${base}${path}`, {
    method: 'POST', agent, timeoutMs,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (response.status !== 201) throw new Error(`POST ${path}: ${response.status} ${response.text}`);
  return JSON.parse(response.text);
}
