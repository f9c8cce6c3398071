// Regenerates the configuration table in README.md from config/schema.ts (the one source of truth).
// Run with `npm run config:docs`; test/config/readme-table.test.ts fails when the README is stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { renderConfigTable, replaceConfigTable } from './config-table-lib.mjs';

const readme = readFileSync('README.md', 'utf8');
const next = replaceConfigTable(readme, await renderConfigTable());
if (next === readme) {
  console.log('README.md configuration table is up to date');
} else {
  writeFileSync('README.md', next);
  console.log('README.md configuration table updated');
}
