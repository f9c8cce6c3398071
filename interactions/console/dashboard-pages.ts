// The console dashboard (issue 20 item 5): sign-ups by channel, sign-ins by method, second factors and passkeys,
// points earned and redeemed, blocked attempts, over the last 7, 30 or 90 UTC days, read from the analytics
// rollups; each chart drawn on the server (charts.ts) and followed by its figures as a table. Adoption (how many
// members hold an app, a passkey, a phone) is counted from the stores at each view.
import type { Context } from 'koa';
import { toSeries, type MetricName, type SeriesPoint } from '../../server/domain/analytics/analytics-metrics.ts';
import type { AnalyticsRepository } from '../../server/domain/analytics/analytics.repository.ts';
import { DAY_MS, dayOf } from '../../server/domain/analytics/rollup-rules.ts';
import { translator, type Translate } from '../../server/i18n/messages.ts';
import type { InteractionDeps } from '../shared/deps.ts';
import { pageLanguage } from '../shared/page.ts';
import { chartLegend, chartSvg, chartTable, type Chart, type ChartSeries } from './charts.ts';
import { renderStaffPage, requireStaffAction } from './staff-page.ts';

export interface DashboardDeps {
  analytics: Pick<AnalyticsRepository, 'counters' | 'adoption'>;
}

export const DASHBOARD_RANGES = [7, 30, 90] as const;
const DEFAULT_RANGE = 30;

/** Known dimension values first, in this order; any other value the rollups hold follows, named as stored. */
const CHANNELS = ['web', 'app', 'kiosk', 'partner'];
const METHODS = ['password', 'passkey', 'code_email', 'code_sms', 'sign_up', 'password_reset', 'step_up'];
const FACTORS = ['totp', 'passkey', 'sms', 'phone', 'recovery_codes'];
const RULES = ['sign_in.blocked', 'account.protected', 'sign_up.refused'];
/** A chart with more series than this groups the smallest into "other" (colours and legend stay readable). */
const MAX_SERIES = 6;

export interface DashboardChart {
  /** The metric, for tests and anchors (data-chart). */
  id: string;
  svg: string;
  table: string;
  legend: { name: string; className: string }[];
  /** The sum over the range of every series (data-total), or null when nothing was recorded. */
  total: number;
}

function rangeOf(query: unknown): number {
  const days = Number(query);
  return (DASHBOARD_RANGES as readonly number[]).includes(days) ? days : DEFAULT_RANGE;
}

/** A dimension value's label: its message when the catalogue has one, else the stored value itself. */
function dimensionLabel(t: Translate, prefix: string, value: string): string {
  const id = `console.dashboard.${prefix}.${value.replace(/\./g, '_')}`;
  const text = t(id);
  return text === id ? value : text;
}

function ordered(known: readonly string[], seen: Iterable<string>): string[] {
  const values = new Set(seen);
  const extra = [...values].filter((value) => !known.includes(value)).sort();
  return [...known.filter((value) => values.has(value)), ...extra];
}

/** Per day, the sum of the points whose `key(point)` is each group: one series per group that has any value. */
function byDay(points: readonly SeriesPoint[], days: readonly number[], key: (point: SeriesPoint) => string | undefined): Map<string, number[]> {
  const index = new Map(days.map((day, i) => [day, i]));
  const groups = new Map<string, number[]>();
  for (const point of points) {
    const group = key(point);
    const i = index.get(Date.parse(point.t));
    if (group === undefined || i === undefined) continue;
    let values = groups.get(group);
    if (!values) groups.set(group, (values = new Array<number>(days.length).fill(0)));
    values[i] = (values[i] ?? 0) + point.value;
  }
  return groups;
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}

export function dashboardPages(deps: InteractionDeps, data: DashboardDeps) {
  const pageOf = renderStaffPage(deps);

  return {
    async dashboard(ctx: Context) {
      requireStaffAction(ctx, 'analytics:read');
      const lang = await pageLanguage(ctx, deps);
      const t = translator(lang);
      const range = rangeOf(ctx.query.days);
      // Whole UTC days, today included: the rollups count per UTC hour and day.
      const to = dayOf(Date.now()) + DAY_MS;
      const from = to - range * DAY_MS;
      const days = Array.from({ length: range }, (_, i) => from + i * DAY_MS);
      const dayLabel = new Intl.DateTimeFormat(lang, { month: 'short', day: 'numeric', timeZone: 'UTC' });
      const labels = days.map((day) => dayLabel.format(new Date(day)));
      const read = async (metric: MetricName) => toSeries(metric, await data.analytics.counters({ metric, from: new Date(from), to: new Date(to) }), 'day');
      const [signups, signins, factors, points, blocks, held] = await Promise.all([
        read('signups'), read('signins'), read('factors'), read('points'), read('security_blocks'), data.analytics.adoption(),
      ]);
      const share = new Intl.NumberFormat(lang, { style: 'percent', maximumFractionDigits: 1 });
      const count = new Intl.NumberFormat(lang);
      const adoption = {
        members: held.members,
        rows: (['totp', 'passkey', 'phone'] as const).map((way) => {
          const members = way === 'totp' ? held.app : held[way];
          return { way, name: dimensionLabel(t, 'factor', way), members: count.format(members), share: share.format(held.members === 0 ? 0 : members / held.members) };
        }),
      };

      const chart = (id: string, base: Omit<Chart, 'locale' | 'title'>, labelHeading: string): DashboardChart => {
        const full: Chart = { ...base, title: t(`console.dashboard.${id}_title`), locale: lang };
        return {
          id,
          svg: chartSvg(full),
          table: chartTable(full, { labelHeading, total: t('console.dashboard.total') }),
          legend: chartLegend(full),
          total: sum(full.series.flatMap((series) => series.values)),
        };
      };
      const perDay = (groups: Map<string, number[]>, known: readonly string[], prefix: string): ChartSeries[] => {
        const names = ordered(known, groups.keys());
        const all = names.map((name) => ({ name: dimensionLabel(t, prefix, name), values: groups.get(name)! }));
        if (all.length <= MAX_SERIES) return all;
        const kept = [...all].sort((a, b) => sum(b.values) - sum(a.values)).slice(0, MAX_SERIES - 1);
        const rest = all.filter((series) => !kept.includes(series));
        const other = days.map((_, i) => sum(rest.map((series) => series.values[i] ?? 0)));
        return [...all.filter((series) => kept.includes(series)), { name: t('console.dashboard.other'), values: other }];
      };
      const dayHeading = t('console.dashboard.day');

      const factorTotals = new Map<string, { added: number; removed: number }>();
      for (const point of factors) {
        const factor = String(point.factor);
        const totals = factorTotals.get(factor) ?? { added: 0, removed: 0 };
        if (point.change === 'added') totals.added += point.value;
        else if (point.change === 'removed') totals.removed += point.value;
        factorTotals.set(factor, totals);
      }
      const factorNames = ordered(FACTORS, factorTotals.keys());

      const charts: DashboardChart[] = [
        chart('signups', {
          kind: 'bar', stacked: true, labels,
          series: perDay(byDay(signups, days, (point) => String(point.channel)), CHANNELS, 'channel'),
        }, dayHeading),
        chart('signins', {
          kind: 'line', labels,
          // Succeeded only (failures are attacks and typos, on the blocked-attempts chart); step-ups of every factor are one method.
          series: perDay(byDay(signins, days, (point) => (point.outcome === 'succeeded' ? String(point.method).replace(/^step_up_.*/, 'step_up') : undefined)), METHODS, 'method'),
        }, dayHeading),
        chart('factors', {
          kind: 'bar', labels: factorNames.map((factor) => dimensionLabel(t, 'factor', factor)),
          series: [
            { name: t('console.dashboard.added'), values: factorNames.map((factor) => factorTotals.get(factor)!.added) },
            { name: t('console.dashboard.removed'), values: factorNames.map((factor) => factorTotals.get(factor)!.removed) },
          ],
        }, t('console.dashboard.factor')),
        chart('points', {
          kind: 'line', labels,
          series: ['earned', 'redeemed'].map((flow) => ({
            name: t(`console.dashboard.points_${flow}`),
            values: byDay(points, days, (point) => (point.flow === flow ? flow : undefined)).get(flow) ?? days.map(() => 0),
          })),
        }, dayHeading),
        chart('blocks', {
          kind: 'bar', stacked: true, labels,
          series: perDay(byDay(blocks, days, (point) => String(point.rule)), RULES, 'rule'),
        }, dayHeading),
      ];

      await pageOf(ctx, 'console/dashboard', {
        charts,
        adoption,
        range,
        ranges: DASHBOARD_RANGES,
        // Formatted here in UTC: the days are UTC days whatever the server's time zone.
        from: new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(from)),
        until: new Intl.DateTimeFormat(lang, { dateStyle: 'medium', timeZone: 'UTC' }).format(new Date(to - DAY_MS)),
      });
    },
  };
}
