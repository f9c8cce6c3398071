// Contract: SamlAssertionIdsRepository — the replay cache of accepted SAML assertion ids, per connection, until they expire.
import { randomUUID } from 'node:crypto';
import { useStorage, type OpenStorage } from './harness.ts';

export function describeSamlAssertionIdsContract(open: OpenStorage): void {
  describe('saml assertion ids', () => {
    const storage = useStorage(open);
    const ids = () => storage().samlAssertionIds;
    const inAMinute = () => new Date(Date.now() + 60_000);

    it('refuses an id it holds until it expires; each connection has its own ids', async () => {
      const connection = randomUUID();
      const id = `_${randomUUID()}`;
      expect(await ids().remember(connection, id, inAMinute())).toBe('new');
      expect(await ids().remember(connection, id, inAMinute())).toBe('replayed');
      expect(await ids().remember(randomUUID(), id, inAMinute())).toBe('new');
    });

    it('an expired id no longer blocks, and the sweep removes expired ids', async () => {
      const connection = randomUUID();
      const id = `_${randomUUID()}`;
      expect(await ids().remember(connection, id, new Date(Date.now() - 1000))).toBe('new');
      expect(await ids().remember(connection, id, inAMinute())).toBe('new');
      expect(await ids().remember(connection, id, inAMinute())).toBe('replayed');
      expect(await ids().sweepExpired(new Date(Date.now() + 120_000))).toBeGreaterThanOrEqual(1);
      expect(await ids().remember(connection, id, inAMinute())).toBe('new');
    });

    it('two racing acceptances of one id: exactly one is new', async () => {
      const connection = randomUUID();
      const id = `_${randomUUID()}`;
      const results = await Promise.all([ids().remember(connection, id, inAMinute()), ids().remember(connection, id, inAMinute())]);
      expect(results.sort()).toEqual(['new', 'replayed']);
    });
  });
}
