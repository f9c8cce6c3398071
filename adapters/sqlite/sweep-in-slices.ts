// Expiry sweeps on SQLite delete a slice of rows per statement with a turn of the event loop between two.
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';

/** Rows per DELETE: a slice takes a few milliseconds, so no request waits long behind a sweep. */
export const SWEEP_SLICE = 500;

/**
 * Runs `deleteSlice(SWEEP_SLICE)` (a DELETE of at most that many expired rows, answering how many it deleted) until a
 * slice comes back short, yielding to the event loop between two, and answers the total. Why: on node:sqlite a
 * DELETE is synchronous, and one DELETE of everything a ten-minute sweep finds grows with the load (150,000 expired
 * tokens took 387 ms; millions of rate-limit keys under a credential-stuffing wave would take seconds), holding every
 * request that long. Each slice re-reads what has expired, so a row renewed between two slices is kept.
 */
export async function sweepInSlices(deleteSlice: (limit: number) => number): Promise<number> {
  let deleted = 0;
  for (;;) {
    const slice = deleteSlice(SWEEP_SLICE);
    deleted += slice;
    if (slice < SWEEP_SLICE) return deleted;
    await yieldToEventLoop();
  }
}
