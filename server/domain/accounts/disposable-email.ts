// Fake-account defence: throwaway mailbox domains are refused at sign-up. The list is the community-kept
// disposable-email-domains package (CC0): exact domains, plus "wildcard" ones whose every subdomain is too.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

interface Lists {
  exact: Set<string>;
  wildcard: Set<string>;
}

let lists: Lists | undefined;

function load(): Lists {
  if (!lists) {
    const require = createRequire(import.meta.url);
    const read = (file: string) => new Set((JSON.parse(readFileSync(require.resolve(`disposable-email-domains/${file}`), 'utf8')) as string[]).map((d) => d.toLowerCase()));
    lists = { exact: read('index.json'), wildcard: read('wildcard.json') };
  }
  return lists;
}

/** Whether a (normalised) address is at a disposable domain or a subdomain of a wildcard one. */
export function isDisposableEmail(normalised: string): boolean {
  const domain = normalised.slice(normalised.lastIndexOf('@') + 1);
  if (!domain) return false;
  const { exact, wildcard } = load();
  if (exact.has(domain)) return true;
  const labels = domain.split('.');
  for (let i = 0; i < labels.length - 1; i += 1) {
    if (wildcard.has(labels.slice(i).join('.'))) return true;
  }
  return false;
}
