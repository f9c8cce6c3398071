// Renders the README configuration table from the schema's documentation of each setting.
const START = '<!-- config-table:start -->';
const END = '<!-- config-table:end -->';

export async function renderConfigTable() {
  const { settingDocs } = await import('../config/schema.ts');
  const escape = (text) => text.replaceAll('|', '\\|');
  const rows = settingDocs().map((s) => `| \`${s.env}\` | ${s.defaultText ? `\`${escape(s.defaultText)}\`` : '—'} | ${escape(s.description)} |`);
  return ['| Variable | Default | Meaning |', '|---|---|---|', ...rows].join('\n');
}

export function replaceConfigTable(readme, table) {
  const start = readme.indexOf(START);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README.md lacks the ${START} / ${END} markers`);
  return `${readme.slice(0, start + START.length)}\n${table}\n${readme.slice(end)}`;
}
