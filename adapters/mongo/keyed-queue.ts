// Runs work one key at a time within this process, so concurrent callers wait in memory instead of contending in
// the store for what only one of them can win. An optimisation only: other processes are not in the queue, so
// what the store must guarantee it still guarantees by itself.
export class KeyedQueue {
  /** The last work queued per key, settled or not; removed once the queue of that key runs empty. */
  private readonly tails = new Map<string, Promise<void>>();

  /** Runs `work` once everything queued before it for `key` has settled; its result or error is the caller's. */
  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const result = (this.tails.get(key) ?? Promise.resolve()).then(work);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}
