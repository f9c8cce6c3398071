// In production the preset kinds' upstreams are fixed: the issuer override (microsoft, apple, google) and facebook's base_url are for tests only.
import type { Context } from 'koa';
import { generateKeyPairSync } from 'node:crypto';
import { connectionHandlers } from './connection-handlers.ts';
import type { ConnectionsRepository } from '../domain/connections/connections.repository.ts';
import { DomainError } from '../domain/errors.ts';

const nothingStored: ConnectionsRepository = {
  create: () => Promise.reject(new Error('nothing may be stored')),
  find: () => Promise.resolve(undefined),
  list: () => Promise.resolve([]),
  update: () => Promise.resolve(undefined),
  delete: () => Promise.resolve(false),
};
const noNetwork = { fetch: () => Promise.reject(new Error('no request may leave')) };
const p256 = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();

async function refusal(body: Record<string, unknown>): Promise<Record<string, string> | undefined> {
  const handlers = connectionHandlers({ connections: nothingStored, outbound: noNetwork, issuer: 'https://idp.example', production: true });
  try {
    await handlers.create({ request: { body }, params: {}, set: () => undefined } as unknown as Context);
  } catch (error) {
    if (error instanceof DomainError) return (error.details as { fields?: Record<string, string> } | undefined)?.fields;
    throw error;
  }
  return undefined;
}

describe('preset upstreams in production', () => {
  test.each([
    ['google', { kind: 'google', client_id: 'c', issuer: 'https://evil.example' }, 'issuer'],
    ['microsoft', { kind: 'microsoft', client_id: 'c', issuer: 'https://evil.example/{tenantid}/v2.0' }, 'issuer'],
    ['apple', { kind: 'apple', client_id: 'c', issuer: 'https://evil.example', team_id: 'TEAM123456', key_id: 'KEY1234567', private_key: p256 }, 'issuer'],
    ['facebook', { kind: 'facebook', client_id: 'c', client_secret: 's', base_url: 'https://evil.example' }, 'base_url'],
  ])('%s: another upstream is refused with the field, before any request or write', async (_kind, body, field) => {
    expect(await refusal(body)).toEqual({ [field]: expect.stringMatching(/fixed|tests only/) });
  });
});
