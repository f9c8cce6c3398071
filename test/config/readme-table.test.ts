// The README's configuration table is generated from the schema; this fails when someone forgets to regenerate it.
import { readFileSync } from 'node:fs';
// @ts-expect-error plain ESM helper shared with scripts/config-table.mjs
import { renderConfigTable, replaceConfigTable } from '../../scripts/config-table-lib.mjs';

test('README.md documents every setting exactly as config/schema.ts does (npm run config:docs)', async () => {
  const readme = readFileSync('README.md', 'utf8');
  expect(replaceConfigTable(readme, await renderConfigTable())).toBe(readme);
});
