// The language of the request being served, for emails and texts built deep in the domain services:
// the page language at the time of the request (which counts the saved preference once the member is known).
import { AsyncLocalStorage } from 'node:async_hooks';
import { getDefaultLanguage } from './locales/index.ts';

type Resolve = () => Promise<string>;

const current = new AsyncLocalStorage<Resolve>();

/** Runs the rest of a request with its page language available to messageLanguage(). */
export function withRequestLanguage<T>(resolve: Resolve, run: () => T): T {
  return current.run(resolve, run);
}

/** The language to write a member's email or text in: the request's page language, else DEFAULT_LOCALE. */
export async function messageLanguage(): Promise<string> {
  const resolve = current.getStore();
  return resolve ? resolve() : getDefaultLanguage();
}
