// The operator console's clock: session idle and absolute limits are measured with it, so tests move time
// forward instead of sleeping (they replace `now` in the server's own process).
export const consoleClock = {
  /** Epoch milliseconds. */
  now: (): number => Date.now(),
};
