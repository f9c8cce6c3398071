// Shared plumbing for the storage contract: one fresh store per port group, closed after it.
import { randomInt, randomUUID } from 'node:crypto';
import type { Storage } from '../../server/domain/storage.ts';

/** Opens an isolated, empty store (a new temp dir, a new Mongo database, ...). */
export type OpenStorage = () => Promise<Storage>;

/** Opens two stores on one isolated, empty location (same file, same database), as two processes would. */
export type OpenStoragePair = () => Promise<[Storage, Storage]>;

export function useStorage(open: OpenStorage): () => Storage {
  return useOpened(open, 'storage');
}

/** Opens one resource before a group's tests and closes it after them; the getter throws if opening failed. */
export function useOpened<T extends { close(): Promise<void> }>(open: () => Promise<T>, what: string): () => T {
  let opened: T | undefined;
  beforeAll(async () => {
    opened = await open();
  });
  afterAll(async () => {
    await opened?.close();
  });
  return () => {
    if (!opened) throw new Error(`${what} was not opened (did beforeAll fail?)`);
    return opened;
  };
}

export function uniqueId(prefix: string): string {
  return `${prefix}-${randomUUID()}`;
}

export function uniqueEmail(): string {
  return `member-${randomUUID()}@example.com`;
}

/** A random number in E.164 (+1 555 ...): storage takes numbers as given, it does not check them. */
export function uniquePhone(): string {
  return `+1555${String(randomInt(1e9)).padStart(9, '0')}`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Asserts the promise rejects with DomainError code `code` (checked by shape: adapters may wrap causes). */
export async function expectDomainError(promise: Promise<unknown>, code: string): Promise<void> {
  await expect(promise).rejects.toMatchObject({ name: 'DomainError', code });
}
