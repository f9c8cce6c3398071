// Copies the non-TypeScript files the compiled server reads at run time into dist/.
import { cpSync } from 'node:fs';

cpSync('views', 'dist/views', { recursive: true });
cpSync('public', 'dist/public', { recursive: true });
cpSync('server/domain/accounts/common-passwords.txt', 'dist/server/domain/accounts/common-passwords.txt');
// The message catalogues: server/i18n/locales/index.ts reads every <tag>.json beside it at boot.
cpSync('server/i18n/locales', 'dist/server/i18n/locales', { recursive: true, filter: (source) => !/\.ts$/.test(source) });
