/** Reading and checking a monitoring definition: its widgets and metrics, alarm terms, and consistency. */
import { DIMENSIONS, METRICS, type DimensionName, type MetricKey } from '../definitions/metrics';
import type { AlarmDefinition, DashboardDefinition, VaultTerm, WidgetDefinition } from './types';

/** The dimensions of a vault metric besides Application. */
export function extraDimensions(metric: MetricKey): readonly DimensionName[] {
  return METRICS[metric].dimensions.filter((name) => name !== DIMENSIONS.APPLICATION);
}

/** Every widget of a dashboard, row by row. */
export function widgetsOf(dashboard: DashboardDefinition): WidgetDefinition[] {
  return dashboard.rows.flat();
}

/** Every vault metric a dashboard draws. */
export function dashboardVaultMetrics(dashboard: DashboardDefinition): Set<MetricKey> {
  const keys = new Set<MetricKey>();
  for (const widget of widgetsOf(dashboard)) {
    if (widget.kind !== 'metric') continue;
    for (const series of widget.series) if (series.source === 'vault') keys.add(series.metric);
  }
  return keys;
}

/** The vault terms an alarm evaluates (empty for AWS metrics). */
export function alarmTerms(alarm: AlarmDefinition): VaultTerm[] {
  switch (alarm.signal.kind) {
    case 'vault-sum':
      return [...alarm.signal.terms];
    case 'vault-failure-percent':
      return [...alarm.signal.ok, alarm.signal.total];
    case 'aws':
      return [];
  }
}

/** CloudWatch alarms reference at most this many metrics. */
export const MAX_ALARM_METRICS = 10;

/**
 * Problems in a dashboard and alarm definition: widths, ids, alarm terms that leave a dimension open (alarms
 * cannot search), too many metrics in one alarm. Empty when consistent.
 */
export function definitionProblems(dashboard: DashboardDefinition, alarms: readonly AlarmDefinition[]): string[] {
  const problems: string[] = [];
  const ids = new Set<string>();
  for (const [index, row] of dashboard.rows.entries()) {
    const width = row.reduce((sum, widget) => sum + widget.width, 0);
    if (width > 24) problems.push(`row ${index}: widths add up to ${width} > 24`);
    for (const widget of row) {
      if (ids.has(widget.id)) problems.push(`widget ${widget.id}: duplicate id`);
      ids.add(widget.id);
    }
  }
  const alarmIds = new Set<string>();
  for (const alarm of alarms) {
    if (alarmIds.has(alarm.id)) problems.push(`alarm ${alarm.id}: duplicate id`);
    alarmIds.add(alarm.id);
    const terms = alarmTerms(alarm);
    if (terms.length > MAX_ALARM_METRICS)
      problems.push(`alarm ${alarm.id}: ${terms.length} metrics > ${MAX_ALARM_METRICS}`);
    for (const term of terms) {
      const expected = [...extraDimensions(term.metric)].sort();
      const given = Object.keys(term.where).sort();
      if (expected.join() !== given.join()) {
        problems.push(
          `alarm ${alarm.id}: ${METRICS[term.metric].name} needs a value for exactly [${expected.join(', ')}], got [${given.join(', ')}]`,
        );
      }
    }
  }
  return problems;
}
