// The memory rate-limit store against the same contract as the SQLite and Mongo stores.
import { describeRateLimitsContract } from '../../../test/contract/rate-limits.contract.ts';
import { createMemoryRateLimitStore } from './memory-store.ts';

describe('memory rate-limit store', () => {
  // One process only: the "second process" is the same store.
  describeRateLimitsContract(async () => {
    const store = createMemoryRateLimitStore();
    return { store, twin: store, async close() {} };
  });
});
