// Copies the non-TypeScript files the compiled server reads at run time into dist/.
import { cpSync } from 'node:fs';

cpSync('views', 'dist/views', { recursive: true });
cpSync('public', 'dist/public', { recursive: true });
cpSync('server/domain/accounts/common-passwords.txt', 'dist/server/domain/accounts/common-passwords.txt');
