// Regenerates server/i18n/message-ids.ts after en.json gains or loses an id (`npm run i18n:ids`).
import { readFileSync, writeFileSync } from 'node:fs';
import { renderMessageIds } from './message-ids-lib.mjs';

const target = 'server/i18n/message-ids.ts';
const next = renderMessageIds(JSON.parse(readFileSync('server/i18n/locales/en.json', 'utf8')));
let current;
try {
  current = readFileSync(target, 'utf8');
} catch {
  current = '';
}
if (current === next) console.log(`${target} is up to date`);
else {
  writeFileSync(target, next);
  console.log(`${target} updated`);
}
