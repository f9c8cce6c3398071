// Renders server/i18n/message-ids.ts (the MessageId type) from server/i18n/locales/en.json.
export function renderMessageIds(english) {
  const ids = Object.keys(english).map((id) => `  | ${JSON.stringify(id).replaceAll('"', "'")}`);
  return [
    '// Generated from server/i18n/locales/en.json by `npm run i18n:ids`: do not edit (server/i18n/catalogue.test.ts checks it).',
    '// Typing ids lets the compiler catch a message id used in code that English does not have.',
    'export type MessageId =',
    ...ids,
    '  ;',
    '',
  ].join('\n');
}
