// The console's chart module: well-formed SVG with an accessible name for any data (none, one point, huge numbers,
// all zeros, garbage values), tables with the same figures formatted for the page language, and series colours
// with at least 3:1 contrast against the page in light and dark.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DOMParser } from '@xmldom/xmldom';
import { chartLegend, chartSvg, chartTable, niceStep, PALETTE_SIZE, yTicks, type Chart } from './charts.ts';

interface XmlElement { getAttribute(name: string): string | null; textContent: string | null }
interface XmlDocument { documentElement: XmlElement & { tagName: string }; getElementsByTagName(name: string): ArrayLike<XmlElement> }

/** Parses strictly: any warning or error (an unescaped character, an unclosed tag) fails the test. */
function parse(markup: string): XmlDocument {
  const problems: string[] = [];
  const report = (message: string) => problems.push(message);
  const document = new DOMParser({ errorHandler: { warning: report, error: report, fatalError: report } }).parseFromString(markup, 'image/svg+xml') as unknown as XmlDocument;
  expect(problems).toEqual([]);
  return document;
}

function all(document: XmlDocument, tag: string): XmlElement[] {
  return Array.from(document.getElementsByTagName(tag));
}

const base: Chart = { kind: 'bar', title: 'Sign-ups', labels: ['1 Dec', '2 Dec', '3 Dec'], series: [{ name: 'Web', values: [1, 2, 3] }], locale: 'en' };

describe('chartSvg', () => {
  test('is well-formed SVG named by its title (role img), with text escaped', () => {
    const svg = chartSvg({ ...base, title: 'Points <earned> & "redeemed"', labels: ['<b>', 'a&b', "it's"] });
    const document = parse(svg);
    const root = document.documentElement;
    expect(root.tagName).toBe('svg');
    expect(root.getAttribute('role')).toBe('img');
    expect(root.getAttribute('aria-label')).toBe('Points <earned> & "redeemed"');
    expect(all(document, 'title')[0]?.textContent).toBe('Points <earned> & "redeemed"');
    expect(all(document, 'text').map((text) => text.textContent)).toEqual(expect.arrayContaining(['<b>', 'a&b', "it's"]));
    expect(svg).not.toMatch(/NaN|Infinity|undefined/);
    // Nothing the strict CSP refuses: no script, no style element or attribute, no external reference.
    expect(svg).not.toMatch(/<script|<style|\sstyle=|href=|url\(/);
  });

  test('no data at all: axes only, still well-formed and named', () => {
    for (const kind of ['bar', 'line'] as const) {
      const svg = chartSvg({ ...base, kind, labels: [], series: [] });
      const document = parse(svg);
      expect(document.documentElement.getAttribute('aria-label')).toBe('Sign-ups');
      expect(all(document, 'rect')).toHaveLength(0);
      expect(all(document, 'polyline')).toHaveLength(0);
      expect(svg).not.toMatch(/NaN|Infinity/);
    }
  });

  test('one point: a line chart shows a dot (a one-point line would be invisible), a bar chart one bar', () => {
    const line = parse(chartSvg({ ...base, kind: 'line', labels: ['1 Dec'], series: [{ name: 'Earned', values: [40] }] }));
    expect(all(line, 'polyline')).toHaveLength(0);
    expect(all(line, 'circle')).toHaveLength(1);
    const bar = parse(chartSvg({ ...base, labels: ['1 Dec'], series: [{ name: 'Web', values: [40] }] }));
    expect(all(bar, 'rect')).toHaveLength(1);
  });

  test('huge numbers keep every shape inside the picture and label the axis compactly', () => {
    const huge = Number.MAX_SAFE_INTEGER;
    const svg = chartSvg({ ...base, stacked: true, series: [{ name: 'A', values: [huge, 1, 0] }, { name: 'B', values: [huge, 5e12, 3] }] });
    const document = parse(svg);
    expect(svg).not.toMatch(/NaN|Infinity|e\+/);
    const [, , width, height] = document.documentElement.getAttribute('viewBox')!.split(' ').map(Number);
    for (const rect of all(document, 'rect')) {
      const [x, y, w, h] = ['x', 'y', 'width', 'height'].map((name) => Number(rect.getAttribute(name)));
      expect(x! >= 0 && y! >= 0 && x! + w! <= width! && y! + h! <= height!).toBe(true);
      expect(h).toBeGreaterThan(0);
    }
    // Short tick labels ("5T", "1E16"), never 17-digit numbers across the margin.
    const ticks = all(document, 'text').map((text) => text.textContent ?? '').filter((text) => /\d/.test(text) && !/Dec/.test(text));
    expect(ticks.every((text) => text.length <= 6)).toBe(true);
  });

  test('an all-zero series draws no bars and an axis from 0 to 1, not a division by zero', () => {
    const svg = chartSvg({ ...base, series: [{ name: 'Web', values: [0, 0, 0] }] });
    const document = parse(svg);
    expect(all(document, 'rect')).toHaveLength(0);
    expect(svg).not.toMatch(/NaN|Infinity/);
    const line = parse(chartSvg({ ...base, kind: 'line', series: [{ name: 'Web', values: [0, 0, 0] }] }));
    expect(all(line, 'polyline')).toHaveLength(1);
    expect(yTicks(0)).toEqual([0, 1]);
  });

  test('values that are not counts (NaN, negative, Infinity) draw as zero', () => {
    const svg = chartSvg({ ...base, series: [{ name: 'Web', values: [Number.NaN, -5, Number.POSITIVE_INFINITY] }] });
    expect(svg).not.toMatch(/NaN|Infinity/);
    expect(all(parse(svg), 'rect')).toHaveLength(0);
  });

  test('90 days: at most six day labels, every series in its own colour class and lines in their own dash', () => {
    const labels = Array.from({ length: 90 }, (_, i) => `d${i}`);
    const series = Array.from({ length: 3 }, (_, s) => ({ name: `S${s}`, values: labels.map((_, i) => (i * (s + 1)) % 17) }));
    const document = parse(chartSvg({ ...base, kind: 'line', labels, series }));
    expect(all(document, 'text').filter((text) => /^d\d+$/.test(text.textContent ?? '')).length).toBeLessThanOrEqual(6);
    const lines = all(document, 'polyline');
    expect(new Set(lines.map((line) => line.getAttribute('stroke-dasharray') ?? 'solid')).size).toBe(3);
    expect(chartLegend({ ...base, series }).map((entry) => entry.className)).toEqual(['chart-s0', 'chart-s1', 'chart-s2']);
  });

  test('nice steps and ticks', () => {
    expect([niceStep(0), niceStep(0.3), niceStep(1.5), niceStep(3), niceStep(7), niceStep(2500)]).toEqual([1, 1, 2, 5, 10, 5000]);
    expect(yTicks(9)).toEqual([0, 5, 10]);
    expect(yTicks(100)).toEqual([0, 50, 100]);
    expect(yTicks(101)).toEqual([0, 50, 100, 150]);
  });
});

describe('chartTable', () => {
  test('the same figures with caption, headers and totals, formatted for the page language', () => {
    const chart: Chart = { ...base, title: 'Points & more', series: [{ name: 'Earned', values: [1234567, 0, 3] }, { name: 'Redeemed', values: [10, 20, 30] }] };
    const html = chartTable(chart, { labelHeading: 'Day', total: 'Total' });
    const document = parse(html);
    expect(all(document, 'caption')[0]?.textContent).toBe('Points & more');
    const headers = all(document, 'th');
    expect(headers.filter((th) => th.getAttribute('scope') === 'col').map((th) => th.textContent)).toEqual(['Day', 'Earned', 'Redeemed']);
    expect(headers.filter((th) => th.getAttribute('scope') === 'row').map((th) => th.textContent)).toEqual(['1 Dec', '2 Dec', '3 Dec', 'Total']);
    expect(all(document, 'td').map((td) => td.textContent)).toEqual(['1,234,567', '10', '0', '20', '3', '30', '1,234,570', '60']);
    // Polish groups with a (non-breaking) space, from four digits as the catalogue's numbers do.
    const polish = all(parse(chartTable({ ...chart, locale: 'pl', series: [{ name: 'Zdobyte', values: [1234, 5, 0] }] }, { labelHeading: 'Dzień' })), 'td').map((td) => td.textContent);
    expect(polish).toEqual(['1\u00a0234', '5', '0']);
  });
});

describe('chart colours', () => {
  // WCAG 2.2 1.4.11: graphical objects need 3:1 against what is next to them (the page's surface and background).
  const css = readFileSync(fileURLToPath(new URL('../../public/app.css', import.meta.url)), 'utf8');
  const luminance = (hex: string) => {
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
    return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
  };
  const contrast = (a: string, b: string) => {
    const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
    return (hi! + 0.05) / (lo! + 0.05);
  };
  const variables = (block: string) => Object.fromEntries([...block.matchAll(/--([a-z0-9-]+):\s*(#[0-9a-f]{6});/gi)].map((m) => [m[1]!, m[2]!]));
  const light = { ...variables(css.split('@media (prefers-color-scheme: dark)')[0]!), ...variables(css.slice(css.lastIndexOf('/* Console dashboard charts')).split('@media')[0]!) };
  const darkBlocks = css.split('@media (prefers-color-scheme: dark)').slice(1).map((part) => part.slice(0, part.indexOf('}\n}') + 1));
  const dark = Object.assign({}, ...darkBlocks.map(variables)) as Record<string, string>;

  test.each([['light', light], ['dark', dark]] as const)('%s: every series colour has 3:1 against surface and background', (_scheme, colours) => {
    for (let s = 0; s < PALETTE_SIZE; s += 1) {
      const colour = colours[`chart-${s}`];
      expect(colour).toMatch(/^#[0-9a-f]{6}$/i);
      expect([s, contrast(colour!, colours.surface!) >= 3, contrast(colour!, colours.bg!) >= 3]).toEqual([s, true, true]);
    }
  });
});
