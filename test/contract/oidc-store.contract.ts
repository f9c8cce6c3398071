// Contract: OidcStore, the persistence behind oidc-provider's Adapter (lookups, expiry, consume, revocation, sweep).
import { randomBytes } from 'node:crypto';
import { sleep, uniqueId, useStorage, type OpenStorage } from './harness.ts';

/** Long enough to never expire during a run, short enough to be swept by the sweep test's far "now". */
const LONG = 24 * 60 * 60;

export function describeOidcStoreContract(open: OpenStorage): void {
  describe('oidc store', () => {
    const storage = useStorage(open);
    const oidc = () => storage().oidc;

    it('upserts and finds a payload, scoped by model', async () => {
      const id = uniqueId('jti');
      const payload = { jti: id, kind: 'AccessToken', accountId: 'acct-1', grantId: 'grant-1', scope: 'openid email', exp: 1_900_000_000, iat: 1_700_000_000, extra: { list: [1, 'two', null, true] } };
      await oidc().upsert('AccessToken', id, payload, LONG);
      expect(await oidc().find('AccessToken', id)).toEqual(payload);
      expect(await oidc().find('RefreshToken', id)).toBeUndefined();
      expect(await oidc().find('AccessToken', uniqueId('missing'))).toBeUndefined();
    });

    it('replaces a payload on a second upsert', async () => {
      const id = uniqueId('sess');
      await oidc().upsert('Session', id, { uid: 'u-1', accountId: 'a-1', version: 1 }, LONG);
      await oidc().upsert('Session', id, { uid: 'u-2', version: 2 }, LONG);
      expect(await oidc().find('Session', id)).toEqual({ uid: 'u-2', version: 2 });
      expect(await oidc().findByUid('Session', 'u-1')).toBeUndefined();
    });

    it('survives concurrent upserts of the same new id (last write wins, none fails)', async () => {
      const id = uniqueId('sess');
      await Promise.all(Array.from({ length: 5 }, (_, n) => oidc().upsert('Session', id, { n }, LONG)));
      expect(await oidc().find('Session', id)).toEqual({ n: expect.any(Number) });
    });

    it('settles many concurrent writes of different ids, each visible once settled', async () => {
      const ids = Array.from({ length: 20 }, () => uniqueId('at'));
      await Promise.all(ids.map((id, n) => oidc().upsert('AccessToken', id, { n }, LONG)));
      const [consumed = '', destroyed = ''] = ids;
      await Promise.all([oidc().consume('AccessToken', consumed), oidc().destroy('AccessToken', destroyed)]);
      const found = await Promise.all(ids.map((id) => oidc().find('AccessToken', id)));
      expect(found[0]).toEqual({ n: 0, consumed: expect.any(Number) });
      expect(found[1]).toBeUndefined();
      expect(found.slice(2)).toEqual(ids.slice(2).map((_, n) => ({ n: n + 2 })));
    });

    it('keeps payloads without expiry', async () => {
      const id = uniqueId('client');
      await oidc().upsert('Client', id, { client_id: id }, undefined);
      expect(await oidc().find('Client', id)).toEqual({ client_id: id });
    });

    it('finds by uid and by user code, scoped by model', async () => {
      const uid = uniqueId('uid');
      const userCode = `WDJB-${randomBytes(3).toString('hex').toUpperCase()}`;
      const session = { uid, accountId: 'acct-2', kind: 'Session' };
      const device = { userCode, clientId: 'tv', kind: 'DeviceCode' };
      await oidc().upsert('Session', uniqueId('sess'), session, LONG);
      await oidc().upsert('DeviceCode', uniqueId('dc'), device, LONG);
      expect(await oidc().findByUid('Session', uid)).toEqual(session);
      expect(await oidc().findByUserCode('DeviceCode', userCode)).toEqual(device);
      expect(await oidc().findByUid('Interaction', uid)).toBeUndefined();
      expect(await oidc().findByUserCode('Session', userCode)).toBeUndefined();
      expect(await oidc().findByUid('Session', uniqueId('uid'))).toBeUndefined();
    });

    it('hides expired payloads from find, findByUid and findByUserCode', async () => {
      const id = uniqueId('dc');
      const uid = uniqueId('uid');
      const userCode = uniqueId('UC');
      await oidc().upsert('DeviceCode', id, { userCode, uid, grantId: uniqueId('g') }, 1);
      expect(await oidc().find('DeviceCode', id)).toBeDefined();
      expect(await oidc().findByUid('DeviceCode', uid)).toBeDefined();
      expect(await oidc().findByUserCode('DeviceCode', userCode)).toBeDefined();
      await sleep(1200);
      expect(await oidc().find('DeviceCode', id)).toBeUndefined();
      expect(await oidc().findByUid('DeviceCode', uid)).toBeUndefined();
      expect(await oidc().findByUserCode('DeviceCode', userCode)).toBeUndefined();
      // The row is still there until swept; sweeping with the real clock removes exactly it.
      expect(await oidc().sweepExpired(new Date())).toBe(1);
    });

    it('prefers a live payload over an expired one with the same uid', async () => {
      const uid = uniqueId('uid');
      await oidc().upsert('Interaction', uniqueId('i'), { uid, n: 'old' }, 1);
      await sleep(1100);
      await oidc().upsert('Interaction', uniqueId('i'), { uid, n: 'new' }, LONG);
      expect(await oidc().findByUid('Interaction', uid)).toEqual({ uid, n: 'new' });
      expect(await oidc().sweepExpired(new Date())).toBe(1);
    });

    it('consume sets `consumed` to the current epoch seconds, visible on every read', async () => {
      const id = uniqueId('code');
      const uid = uniqueId('uid');
      const payload = { uid, grantId: uniqueId('g'), accountId: 'acct-3', codeChallenge: 'xyz' };
      await oidc().upsert('AuthorizationCode', id, payload, LONG);
      const before = Math.floor(Date.now() / 1000);
      await oidc().consume('AuthorizationCode', id);
      const after = Math.floor(Date.now() / 1000);
      const found = await oidc().find('AuthorizationCode', id);
      expect(found).toMatchObject(payload);
      expect(Number.isInteger(found?.consumed)).toBe(true);
      expect(found?.consumed).toBeGreaterThanOrEqual(before);
      expect(found?.consumed).toBeLessThanOrEqual(after);
      expect((await oidc().findByUid('AuthorizationCode', uid))?.consumed).toBe(found?.consumed);
      await expect(oidc().consume('AuthorizationCode', uniqueId('missing'))).resolves.toBeUndefined();
    });

    it('destroys one payload', async () => {
      const id = uniqueId('at');
      await oidc().upsert('AccessToken', id, { jti: id }, LONG);
      await oidc().destroy('AccessToken', id);
      expect(await oidc().find('AccessToken', id)).toBeUndefined();
      await expect(oidc().destroy('AccessToken', id)).resolves.toBeUndefined();
    });

    it("revokeByGrantId removes only that grant's payloads of that model", async () => {
      const grant = uniqueId('g');
      const other = uniqueId('g');
      const [a1, a2, a3, r1] = [uniqueId('at'), uniqueId('at'), uniqueId('at'), uniqueId('rt')];
      await oidc().upsert('AccessToken', a1, { grantId: grant }, LONG);
      await oidc().upsert('AccessToken', a2, { grantId: grant }, LONG);
      await oidc().upsert('AccessToken', a3, { grantId: other }, LONG);
      await oidc().upsert('RefreshToken', r1, { grantId: grant }, LONG);
      await oidc().revokeByGrantId('AccessToken', grant);
      expect(await oidc().find('AccessToken', a1)).toBeUndefined();
      expect(await oidc().find('AccessToken', a2)).toBeUndefined();
      expect(await oidc().find('AccessToken', a3)).toEqual({ grantId: other });
      expect(await oidc().find('RefreshToken', r1)).toEqual({ grantId: grant });
    });

    it('findByAccountId returns the live payloads of that account and model with their ids, and nothing else', async () => {
      const account = uniqueId('acct');
      const [s1, s2, s3, g1] = [uniqueId('s'), uniqueId('s'), uniqueId('s'), uniqueId('grant')];
      await oidc().upsert('Session', s1, { accountId: account, n: 1 }, LONG);
      await oidc().upsert('Session', s2, { accountId: account, n: 2 }, undefined);
      await oidc().upsert('Session', s3, { accountId: uniqueId('acct') }, LONG);
      await oidc().upsert('Grant', g1, { accountId: account }, LONG);
      await oidc().upsert('Session', uniqueId('s'), { accountId: account, n: 3 }, 1);
      await oidc().consume('Session', s2);
      await sleep(1100); // the third session has expired
      const found = await oidc().findByAccountId('Session', account);
      expect(found.sort((a, b) => Number(a.payload.n) - Number(b.payload.n))).toEqual([
        { id: s1, payload: { accountId: account, n: 1 } },
        { id: s2, payload: { accountId: account, n: 2, consumed: expect.any(Number) } },
      ]);
      expect(await oidc().findByAccountId('Session', uniqueId('acct'))).toEqual([]);
    });

    it('destroyByAccountId removes the payloads of that account and model, and counts them', async () => {
      const account = uniqueId('acct');
      const [s1, s2, s3, g1] = [uniqueId('s'), uniqueId('s'), uniqueId('s'), uniqueId('grant')];
      await oidc().upsert('Session', s1, { accountId: account }, LONG);
      await oidc().upsert('Session', s2, { accountId: account }, undefined);
      await oidc().upsert('Session', s3, { accountId: uniqueId('acct') }, LONG);
      await oidc().upsert('Grant', g1, { accountId: account }, LONG);
      expect(await oidc().destroyByAccountId('Session', account)).toBe(2);
      expect(await oidc().find('Session', s1)).toBeUndefined();
      expect(await oidc().find('Session', s2)).toBeUndefined();
      expect(await oidc().find('Session', s3)).toBeDefined();
      expect(await oidc().find('Grant', g1)).toBeDefined();
      expect(await oidc().destroyByAccountId('Session', account)).toBe(0);
    });

    it('destroyByAccountId keeps the payload named by exceptId and counts the others', async () => {
      const account = uniqueId('acct');
      const [s1, current, s3, g1] = [uniqueId('s'), uniqueId('s'), uniqueId('s'), uniqueId('grant')];
      await oidc().upsert('Session', s1, { accountId: account }, LONG);
      await oidc().upsert('Session', current, { accountId: account, n: 'current' }, LONG);
      await oidc().upsert('Session', s3, { accountId: account }, undefined);
      await oidc().upsert('Grant', g1, { accountId: account }, LONG);
      expect(await oidc().destroyByAccountId('Session', account, current)).toBe(2);
      expect(await oidc().find('Session', current)).toEqual({ accountId: account, n: 'current' });
      expect(await oidc().find('Session', s1)).toBeUndefined();
      expect(await oidc().find('Session', s3)).toBeUndefined();
      expect(await oidc().find('Grant', g1)).toBeDefined();
      expect(await oidc().destroyByAccountId('Session', account, current)).toBe(0);
      expect(await oidc().find('Session', current)).toBeDefined();
      // An exceptId that is none of the account's payloads keeps nothing.
      expect(await oidc().destroyByAccountId('Session', account, uniqueId('s'))).toBe(1);
      expect(await oidc().find('Session', current)).toBeUndefined();
    });

    it("destroyByAccountId with another account's payload as exceptId removes all of this account's and nothing of the other's", async () => {
      const [account, other] = [uniqueId('acct'), uniqueId('acct')];
      const [a1, a2, b1, b2] = [uniqueId('s'), uniqueId('s'), uniqueId('s'), uniqueId('s')];
      await oidc().upsert('Session', a1, { accountId: account }, LONG);
      await oidc().upsert('Session', a2, { accountId: account }, LONG);
      await oidc().upsert('Session', b1, { accountId: other }, LONG);
      await oidc().upsert('Session', b2, { accountId: other }, LONG);
      expect(await oidc().destroyByAccountId('Session', account, b1)).toBe(2);
      expect(await oidc().find('Session', a1)).toBeUndefined();
      expect(await oidc().find('Session', a2)).toBeUndefined();
      expect(await oidc().find('Session', b1)).toEqual({ accountId: other });
      expect(await oidc().find('Session', b2)).toEqual({ accountId: other });
    });

    it('sweepExpired deletes rows expired at `now` across models and keeps the rest', async () => {
      await oidc().sweepExpired(new Date());
      const soon = [uniqueId('a'), uniqueId('b'), uniqueId('c')];
      await oidc().upsert('AccessToken', soon[0] ?? '', { n: 0 }, 60);
      await oidc().upsert('Session', soon[1] ?? '', { n: 1 }, 60);
      await oidc().upsert('Interaction', soon[2] ?? '', { n: 2 }, 60);
      const later = uniqueId('later');
      const never = uniqueId('never');
      await oidc().upsert('Session', later, { n: 3 }, 10 * LONG);
      await oidc().upsert('Session', never, { n: 4 }, undefined);
      // Everything else in this store lives at most LONG seconds, so "now + 2 minutes" catches exactly these three.
      expect(await oidc().sweepExpired(new Date(Date.now() + 120_000))).toBe(3);
      expect(await oidc().find('AccessToken', soon[0] ?? '')).toBeUndefined();
      expect(await oidc().find('Session', later)).toEqual({ n: 3 });
      expect(await oidc().find('Session', never)).toEqual({ n: 4 });
      expect(await oidc().sweepExpired(new Date())).toBe(0);
    });

    it('sweepExpired deletes a backlog larger than one slice of the SQLite sweep (500 rows) and keeps the live rows', async () => {
      await oidc().sweepExpired(new Date());
      const expired = Array.from({ length: 1_234 }, () => uniqueId('backlog'));
      await Promise.all(expired.map((id, n) => oidc().upsert('AccessToken', id, { n }, 60)));
      const live = uniqueId('live');
      await oidc().upsert('AccessToken', live, { n: -1 }, 10 * LONG);
      expect(await oidc().sweepExpired(new Date(Date.now() + 120_000))).toBe(1_234);
      expect(await oidc().find('AccessToken', expired[0] ?? '')).toBeUndefined();
      expect(await oidc().find('AccessToken', live)).toEqual({ n: -1 });
    });

    it('round-trips payload keys containing dots and dollars', async () => {
      const id = uniqueId('odd');
      const payload = { 'a.b': 1, $c: 2, nested: { 'x.y': true, $where: 'nope', deeper: [{ 'p.q': { $gt: 1 } }] }, uid: uniqueId('uid') };
      await oidc().upsert('Session', id, payload, LONG);
      expect(await oidc().find('Session', id)).toEqual(payload);
      expect(await oidc().findByUid('Session', payload.uid)).toEqual(payload);
    });

    it('round-trips a 200 KB payload', async () => {
      const id = uniqueId('big');
      const payload = { blob: randomBytes(150 * 1024).toString('base64'), list: Array.from({ length: 100 }, (_, i) => ({ i })) };
      expect(JSON.stringify(payload).length).toBeGreaterThan(200 * 1024);
      await oidc().upsert('Grant', id, payload, LONG);
      expect(await oidc().find('Grant', id)).toEqual(payload);
    });

    it('round-trips unicode (and escaped control characters)', async () => {
      const id = `ünï-${uniqueId('ç')}`;
      const payload = { name: 'Zoë Ångström 😀 中文 עברית', nul: 'a\u0000b', newline: 'x\ny', accountId: 'äccount-😀' };
      await oidc().upsert('Session', id, payload, LONG);
      expect(await oidc().find('Session', id)).toEqual(payload);
      expect(await oidc().destroyByAccountId('Session', 'äccount-😀')).toBe(1);
    });
  });
}
