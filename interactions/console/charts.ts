// Bar and line charts drawn on the server as inline SVG (no script, no CDN, nothing the strict CSP refuses), and
// the same figures as a table: the console dashboard's small chart library (issue 20 item 5).

export interface ChartSeries {
  /** Shown in the legend and as the table's column heading (already in the page language). */
  name: string;
  /** One value per label; anything not a finite number counts as 0. */
  values: readonly number[];
}

export interface Chart {
  kind: 'bar' | 'line';
  /** The accessible name of the chart and the caption of its table. */
  title: string;
  /** The x axis: one label per position (days, or categories such as factor kinds), in the page language. */
  labels: readonly string[];
  series: readonly ChartSeries[];
  /** The page language: numbers are formatted for it (Intl.NumberFormat). */
  locale: string;
  /** Bars of several series stacked in one column (a total per position) rather than side by side. */
  stacked?: boolean;
}

/** Series beyond this many share colours (the CSS defines chart-s0..chart-s5); the legend and table still tell them apart. */
export const PALETTE_SIZE = 6;

const WIDTH = 480;
const HEIGHT = 240;
const MARGIN = { top: 12, right: 12, bottom: 40, left: 60 };
/** Large for the viewBox: a phone shows the 480-unit-wide picture at about 340 px, so labels stay near 11 px. */
const FONT_SIZE = 16;
/** At most this many x labels are written; the others are skipped evenly (every day stays in the table). */
const MAX_X_LABELS = 6;
/** Line dash patterns per series, so lines differ by more than colour (WCAG 1.4.1). */
const DASHES = ['', '6 3', '2 3', '8 3 2 3', '1 2', '10 4'];

function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Non-negative finite values: a NaN or a negative (never a count) must not bend the axis. */
function clean(value: number | undefined): number {
  return typeof value === 'number' && Number.isFinite(value) && value > 0 ? value : 0;
}

/** Rounded to 2 decimals: coordinates stay short and free of float noise. */
function n(value: number): string {
  return String(Math.round(value * 100) / 100);
}

/** 1, 2 or 5 times a power of ten, at least `raw` and at least 1 (the charts count whole things). */
export function niceStep(raw: number): number {
  if (!(raw > 1)) return 1;
  const power = 10 ** Math.floor(Math.log10(raw));
  const fraction = raw / power;
  return (fraction <= 1 ? 1 : fraction <= 2 ? 2 : fraction <= 5 ? 5 : 10) * power;
}

/** The y axis: from 0 to a round top above the largest value, in about four steps. */
export function yTicks(max: number): number[] {
  const step = niceStep(max / 4);
  const top = Math.max(step, Math.ceil(max / step) * step);
  const ticks: number[] = [];
  for (let tick = 0; tick <= top + step / 2; tick += step) ticks.push(tick);
  return ticks;
}

function positions(chart: Chart): number {
  return chart.labels.length;
}

function valueAt(series: ChartSeries, index: number): number {
  return clean(series.values[index]);
}

/** The SVG markup of the chart: role="img" with the title as its name; text takes the page's colour. */
export function chartSvg(chart: Chart): string {
  const count = positions(chart);
  // Compact axis labels ("12K", "3,4 mln"); past the largest compact unit (trillions) scientific ("1E16") keeps them short.
  const compactFormat = new Intl.NumberFormat(chart.locale, { notation: 'compact', maximumFractionDigits: 1 });
  const scientificFormat = new Intl.NumberFormat(chart.locale, { notation: 'scientific', maximumSignificantDigits: 2 });
  const compact = { format: (value: number) => (value >= 1e15 ? scientificFormat : compactFormat).format(value) };
  const plotW = WIDTH - MARGIN.left - MARGIN.right;
  const plotH = HEIGHT - MARGIN.top - MARGIN.bottom;
  const stacked = chart.kind === 'bar' && chart.stacked === true;
  let max = 0;
  for (let i = 0; i < count; i += 1) {
    const values = chart.series.map((series) => valueAt(series, i));
    max = Math.max(max, stacked ? values.reduce((sum, value) => sum + value, 0) : Math.max(0, ...values));
  }
  const ticks = yTicks(max);
  const top = ticks.at(-1)!;
  const y = (value: number) => MARGIN.top + plotH - (value / top) * plotH;
  const band = count > 0 ? plotW / count : plotW;
  const x = (index: number) => MARGIN.left + band * index + band / 2;
  const title = escapeXml(chart.title);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="100%" role="img" aria-label="${title}" font-size="${FONT_SIZE}" fill="currentColor">`,
    `<title>${title}</title>`,
  ];
  // Grid lines and y labels.
  parts.push('<g class="chart-grid">');
  for (const tick of ticks) {
    parts.push(`<line x1="${MARGIN.left}" x2="${WIDTH - MARGIN.right}" y1="${n(y(tick))}" y2="${n(y(tick))}" stroke="currentColor" stroke-opacity="${tick === 0 ? 1 : 0.25}" />`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${n(y(tick))}" text-anchor="end" dominant-baseline="middle">${escapeXml(compact.format(tick))}</text>`);
  }
  parts.push('</g>');
  // X labels: evenly thinned so they never overlap (the table names every position).
  const every = Math.max(1, Math.ceil(count / MAX_X_LABELS));
  parts.push('<g class="chart-labels">');
  for (let i = 0; i < count; i += 1) {
    if (i % every !== 0) continue;
    parts.push(`<text x="${n(x(i))}" y="${HEIGHT - MARGIN.bottom + 22}" text-anchor="middle">${escapeXml(chart.labels[i] ?? '')}</text>`);
  }
  parts.push('</g>');
  if (chart.kind === 'bar') {
    const inner = band * 0.7;
    const groups = stacked ? 1 : Math.max(1, chart.series.length);
    const width = inner / groups;
    chart.series.forEach((series, s) => {
      parts.push(`<g class="chart-s${s % PALETTE_SIZE}">`);
      for (let i = 0; i < count; i += 1) {
        const value = valueAt(series, i);
        if (value === 0) continue;
        const below = stacked ? chart.series.slice(0, s).reduce((sum, other) => sum + valueAt(other, i), 0) : 0;
        const left = MARGIN.left + band * i + (band - inner) / 2 + (stacked ? 0 : width * s);
        // At least half a unit tall, so a small value next to a huge one still shows as a bar.
        const height = Math.max(0.5, y(below) - y(below + value));
        parts.push(`<rect x="${n(left)}" y="${n(y(below) - height)}" width="${n(Math.max(0.5, width))}" height="${n(height)}" />`);
      }
      parts.push('</g>');
    });
  } else {
    chart.series.forEach((series, s) => {
      const points = Array.from({ length: count }, (_, i) => `${n(x(i))},${n(y(valueAt(series, i)))}`);
      parts.push(`<g class="chart-s${s % PALETTE_SIZE}">`);
      if (count > 1) {
        const dash = DASHES[s % DASHES.length];
        parts.push(`<polyline points="${points.join(' ')}" fill="none" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ''} />`);
      }
      // Markers: a single day is a dot, and every value is visible where lines overlap.
      if (count <= 31) for (const point of points) {
        const [cx, cy] = point.split(',');
        parts.push(`<circle cx="${cx}" cy="${cy}" r="${count === 1 ? 4 : 2.5}" />`);
      }
      parts.push('</g>');
    });
  }
  parts.push('</svg>');
  return parts.join('');
}

export interface TableTexts {
  /** Heading of the label column ("Day", "Factor"). */
  labelHeading: string;
  /** Heading of the totals row; none: no totals row. */
  total?: string;
}

/** The chart's figures as a table (caption, column and row headers), numbers formatted for the page language. */
export function chartTable(chart: Chart, texts: TableTexts): string {
  // Grouped from four digits in every language, as the message catalogue formats points (server/i18n/messages.ts).
  const format = new Intl.NumberFormat(chart.locale, { maximumFractionDigits: 2, useGrouping: 'always' } as Intl.NumberFormatOptions);
  const cell = (value: number | undefined) => escapeXml(format.format(typeof value === 'number' && Number.isFinite(value) ? value : 0));
  const head = chart.series.map((series) => `<th scope="col">${escapeXml(series.name)}</th>`).join('');
  const rows = chart.labels.map((label, i) => `<tr><th scope="row">${escapeXml(label)}</th>${chart.series.map((series) => `<td>${cell(series.values[i])}</td>`).join('')}</tr>`);
  const totals = texts.total === undefined ? ''
    : `<tfoot><tr><th scope="row">${escapeXml(texts.total)}</th>${chart.series.map((series) => `<td>${cell(series.values.reduce((sum, value) => sum + (Number.isFinite(value) ? value : 0), 0))}</td>`).join('')}</tr></tfoot>`;
  return `<table class="data-table"><caption>${escapeXml(chart.title)}</caption><thead><tr><th scope="col">${escapeXml(texts.labelHeading)}</th>${head}</tr></thead>`
    + `<tbody>${rows.join('')}</tbody>${totals}</table>`;
}

/** The legend entries: each series' name and the colour class its bars or line carry. */
export function chartLegend(chart: Chart): { name: string; className: string }[] {
  return chart.series.map((series, s) => ({ name: series.name, className: `chart-s${s % PALETTE_SIZE}` }));
}
