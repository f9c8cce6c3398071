// More time for test files that run against FerretDB, so a busy machine does not fail them (issue 14, item 29).
import { jest } from '@jest/globals';

/**
 * Per-test timeout for any file with a FerretDB suite. FerretDB answers each MongoDB command through its own
 * translation to SQLite, so the same test takes about twice as long as on the embedded store: the slowest,
 * "20 concurrent redemptions of one generated code" (20 sign-ups, then the race), took 15.4 s on FerretDB
 * and 7.7 s on SQLite on a 2-core VM shared with six other jobs, and went past jest's 30 s when the machine
 * was busier still. 120 s is eight times that measured run: room for a much busier machine, while a test
 * that really hangs still fails within two minutes.
 */
export const FERRETDB_TEST_TIMEOUT_MS = 120_000;

/**
 * Call while the file's tests are being declared (in a describe body, not in a hook): jest reads the timeout
 * once, when the file's run starts, and applies it to every test and hook of the file.
 */
export function allowFerretDbTime(): void {
  jest.setTimeout(FERRETDB_TEST_TIMEOUT_MS);
}
