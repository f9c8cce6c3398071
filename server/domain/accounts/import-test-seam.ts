// Test seams for the import's crash tests (never honoured in production): IMPORT_TEST_PAUSE_AFTER_BATCH=N makes a run
// stop for good after committing batch N, so a test can kill -9 the process at a known point instead of guessing
// with timers.
export function testPauseAfterBatch(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const value = env.IMPORT_TEST_PAUSE_AFTER_BATCH;
  if (value === undefined || env.NODE_ENV === 'production') return undefined;
  const n = Number(value);
  return Number.isInteger(n) && n > 0 ? n : undefined;
}

/** IMPORT_TEST_BATCH_SIZE=N (never in production): small job batches, so a crash test needs only a few rows. */
export function testBatchSize(env: NodeJS.ProcessEnv = process.env): number | undefined {
  const value = env.IMPORT_TEST_BATCH_SIZE;
  if (value === undefined || env.NODE_ENV === 'production') return undefined;
  const n = Number(value);
  return Number.isInteger(n) && n > 0 && n <= 10_000 ? n : undefined;
}

/**
 * IMPORT_TEST_PAUSE_IN_BULK_BATCH=N (never in production): a store without transactions (Mongo) stops for good in its
 * Nth bulk write, after every document of the batch but the accounts; `N:events`: after the accounts too, before
 * their events. A test can then kill -9 it mid-batch.
 */
export function testPauseInBulkBatch(env: NodeJS.ProcessEnv = process.env): { batch: number; before: 'accounts' | 'events' } | undefined {
  const value = env.IMPORT_TEST_PAUSE_IN_BULK_BATCH;
  if (value === undefined || env.NODE_ENV === 'production') return undefined;
  const [count, before = 'accounts'] = value.split(':');
  const n = Number(count);
  return Number.isInteger(n) && n > 0 && (before === 'accounts' || before === 'events') ? { batch: n, before } : undefined;
}
