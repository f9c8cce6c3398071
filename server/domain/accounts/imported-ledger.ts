// The ledger an imported member starts with, as both stores' bulk paths write it: the import's entries as `adjust`
// entries in file order, each checked like any post and carrying the balance and lifetime points it leaves.
import { assertValidPostEntry } from '../loyalty/ledger-rules.ts';
import type { NewImportEntry } from './member-import-store.ts';

export interface ImportedLedgerEntry extends NewImportEntry {
  sequence: number;
  balanceAfter: number;
  lifetimeAfter: number;
}

export function importedLedger(accountId: string, entries: readonly NewImportEntry[]): ImportedLedgerEntry[] {
  let balance = 0;
  let lifetime = 0;
  return entries.map((entry, index) => {
    assertValidPostEntry({ ...entry, accountId, kind: 'adjust', partnerId: null });
    balance += entry.points;
    lifetime += Math.max(entry.points, 0);
    if (balance < 0) throw new Error(`import of ${accountId}: entries take the balance below zero`);
    return { ...entry, sequence: index + 1, balanceAfter: balance, lifetimeAfter: lifetime };
  });
}
