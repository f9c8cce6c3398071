// The catalogue check: every locale has exactly English's ids, the same placeholders (names and types),
// valid ICU syntax and the plural forms its language needs; every id the code uses exists in en.json.
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse, TYPE } from '@formatjs/icu-messageformat-parser';
import type { MessageFormatElement } from '@formatjs/icu-messageformat-parser';
import { AUDIT_EVENT_TYPES } from '../domain/audit/audit-rules.ts';
import { EVENT_TYPES } from '../domain/events/event-types.ts';
import { LOCALES_DIR, SUPPORTED_LANGUAGES } from './locales/index.ts';
import { translate } from './messages.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
/** The program's five markets. Adding a sixth language is adding its file; this list only says which may not be missing. */
const REQUIRED = ['en', 'es', 'pt-BR', 'fr', 'pl'];

function readCatalogue(tag: string): Record<string, string> {
  return JSON.parse(readFileSync(path.join(LOCALES_DIR, `${tag}.json`), 'utf8')) as Record<string, string>;
}

const files = readdirSync(LOCALES_DIR).filter((name) => name.endsWith('.json')).map((name) => name.slice(0, -'.json'.length));
const english = readCatalogue('en');
const others = files.filter((tag) => tag !== 'en');

const TYPE_NAMES: Partial<Record<TYPE, string>> = {
  [TYPE.argument]: 'string', [TYPE.number]: 'number', [TYPE.date]: 'date', [TYPE.time]: 'time',
  [TYPE.select]: 'select', [TYPE.plural]: 'plural', [TYPE.tag]: 'tag',
};

/** "name:type" for every argument, nested ones (inside plural/select options) included. */
function placeholders(elements: MessageFormatElement[], into = new Set<string>()): Set<string> {
  for (const element of elements) {
    const type = TYPE_NAMES[element.type];
    if (type && 'value' in element && typeof element.value === 'string') {
      into.add(`${element.value}:${type === 'plural' && element.type === TYPE.plural && element.pluralType === 'ordinal' ? 'selectordinal' : type}`);
    }
    if (element.type === TYPE.plural || element.type === TYPE.select) {
      for (const option of Object.values(element.options)) placeholders(option.value, into);
    }
    if (element.type === TYPE.tag) placeholders(element.children, into);
  }
  return into;
}

function parsed(text: string): MessageFormatElement[] {
  return parse(text, { ignoreTag: true, requiresOtherClause: true });
}

/** The plural forms whole numbers take in a language (fr: one, other; pl: one, few, many). */
function integerCategories(tag: string): Set<string> {
  const rules = new Intl.PluralRules(tag);
  const found = new Set<string>(['other']);
  for (let n = 0; n <= 1000; n += 1) found.add(rules.select(n));
  return found;
}

/** Plural elements whose forms do not fit the language: a missing form, or one the language does not have. */
function pluralProblems(tag: string, elements: MessageFormatElement[]): string[] {
  const needed = integerCategories(tag);
  const allowed = new Set<string>(new Intl.PluralRules(tag).resolvedOptions().pluralCategories);
  const problems: string[] = [];
  const walk = (list: MessageFormatElement[]) => {
    for (const element of list) {
      if (element.type === TYPE.plural && element.pluralType === 'cardinal') {
        const keys = Object.keys(element.options).filter((key) => !key.startsWith('='));
        for (const key of needed) if (!keys.includes(key)) problems.push(`${element.value}: no "${key}" form`);
        for (const key of keys) if (!allowed.has(key)) problems.push(`${element.value}: "${key}" is not a ${tag} plural form`);
      }
      if (element.type === TYPE.plural || element.type === TYPE.select) for (const option of Object.values(element.options)) walk(option.value);
    }
  };
  walk(elements);
  return problems;
}

describe('message catalogues (server/i18n/locales/<tag>.json)', () => {
  it('has a file for each of the program\'s languages, and the server loads every file', () => {
    expect(files.sort()).toEqual(expect.arrayContaining(REQUIRED));
    expect([...SUPPORTED_LANGUAGES].sort()).toEqual([...files].sort());
  });

  it('names each file with a canonical BCP 47 tag', () => {
    for (const tag of files) expect(Intl.getCanonicalLocales(tag)).toEqual([tag]);
  });

  it('en.json: every message is valid ICU MessageFormat with the plural forms English needs', () => {
    const problems = Object.entries(english).flatMap(([id, text]) => {
      try {
        return pluralProblems('en', parsed(text)).map((problem) => `${id}: ${problem}`);
      } catch (error) {
        return [`${id}: ${(error as Error).message}`];
      }
    });
    expect(problems).toEqual([]);
  });

  describe.each(others)('%s', (tag) => {
    const catalogue = readCatalogue(tag);

    it('has every id of en.json', () => {
      expect(Object.keys(english).filter((id) => !Object.hasOwn(catalogue, id))).toEqual([]);
    });

    it('has no id that en.json lacks', () => {
      expect(Object.keys(catalogue).filter((id) => !Object.hasOwn(english, id))).toEqual([]);
    });

    it('has only strings, each valid ICU MessageFormat', () => {
      const invalid = Object.entries(catalogue).flatMap(([id, text]) => {
        if (typeof text !== 'string') return [`${id}: not a string`];
        try {
          parsed(text);
          return [];
        } catch (error) {
          return [`${id}: ${(error as Error).message}`];
        }
      });
      expect(invalid).toEqual([]);
    });

    it('uses the same placeholders as English (argument names and types)', () => {
      const differing = Object.entries(catalogue).flatMap(([id, text]) => {
        const source = english[id];
        if (typeof source !== 'string' || typeof text !== 'string') return [];
        try {
          const want = [...placeholders(parsed(source))].sort();
          const got = [...placeholders(parsed(text))].sort();
          return JSON.stringify(want) === JSON.stringify(got) ? [] : [`${id}: ${got.join(', ')} instead of ${want.join(', ')}`];
        } catch {
          return []; // reported by the syntax check
        }
      });
      expect(differing).toEqual([]);
    });

    it(`gives each plural the forms whole numbers take in ${tag}`, () => {
      const problems = Object.entries(catalogue).flatMap(([id, text]) => {
        try {
          return pluralProblems(tag, parsed(text)).map((problem) => `${id}: ${problem}`);
        } catch {
          return [];
        }
      });
      expect(problems).toEqual([]);
    });

    it('is translated: no page copy left in English', () => {
      // Short labels can be the same word in both languages (e.g. "Code", "Email"); sentences cannot.
      const untranslated = Object.entries(catalogue)
        .filter(([id, text]) => text === english[id] && (english[id] ?? '').split(/\s+/).length > 3)
        .map(([id]) => id);
      expect(untranslated).toEqual([]);
    });
  });
});

describe('numbers in messages follow the language (Intl)', () => {
  // Intl's grouping separator: a narrow no-break space in fr, a no-break space in pl; Spanish is es-419's.
  const points = (tag: string) => translate(tag, 'account.card_balance', { points: 1234 });
  it.each([
    ['en', '1,234'],
    ['es', '1,234'],
    ['pt-BR', '1.234'],
    ['fr', '1\u202f234'],
    ['pl', '1\u00a0234'],
  ])('%s writes 1234 points as %s', (tag, expected) => {
    expect(points(tag)).toContain(expected);
  });

  it('Polish picks among its four plural forms', () => {
    const forms = [1, 2, 5, 22, 25].map((n) => translate('pl', 'email.change.card_claimed', { last4: '1234', points: n }));
    // 2 and 22 share a form (few), 5 and 25 another (many), 1 its own (one).
    const word = (text: string) => /(\d[\d\s\u00a0]*)\s*(\p{L}+)/u.exec(text.slice(text.indexOf('1234') + 4))?.[2];
    expect(word(forms[1]!)).toBe(word(forms[3]!));
    expect(word(forms[2]!)).toBe(word(forms[4]!));
    expect(new Set([word(forms[0]!), word(forms[1]!), word(forms[2]!)]).size).toBe(3);
  });
});

describe('message ids in code', () => {
  // Typed call sites are checked by the compiler (MessageId); this catches ids passed around as plain strings.
  it('every literal that looks like a message id exists in en.json', () => {
    const namespaces = new Set(Object.keys(english).map((id) => id.split('.')[0]));
    const notMessages = new Set<string>([...AUDIT_EVENT_TYPES, ...EVENT_TYPES /* webhook event types */, 'account.reauth_needed' /* a JSON error code */]);
    const sources = (dir: string): string[] => readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((entry) => {
      const relative = path.join(dir, entry.name);
      if (entry.isDirectory()) return sources(relative);
      return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [relative] : [];
    });
    const unknown: string[] = [];
    for (const file of ['server', 'interactions', 'config'].flatMap(sources)) {
      for (const match of readFileSync(path.join(root, file), 'utf8').matchAll(/['`]([a-z][a-z0-9_]*(?:\.[a-z0-9_]+)+)['`]/g)) {
        const id = match[1] ?? '';
        if (!namespaces.has(id.split('.')[0]) || notMessages.has(id) || Object.hasOwn(english, id)) continue;
        // A prefix completed at run time (`account.notice.${notice}`) is fine when some id has it.
        if (Object.keys(english).some((known) => known.startsWith(`${id}.`))) continue;
        unknown.push(`${file}: ${id}`);
      }
    }
    expect(unknown).toEqual([]);
  });
});
