// Polls until `find` returns something, for tests waiting on what a server receives (mail, SMS, callbacks).
export async function waitFor<T>(find: () => T | undefined, { timeoutMs, what }: { timeoutMs: number; what: string }): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
