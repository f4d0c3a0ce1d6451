/**
 * The dashboard and alarms in the synthesized template, checked against their definition
 * (packages/cdk/src/monitoring/): every widget with its metrics per application, every alarm with its
 * metric names, dimensions and threshold, and SNS actions exactly when the vault has an alarm topic.
 */
import * as fs from 'node:fs';
import { Stack, type App } from 'aws-cdk-lib';
import * as sns from 'aws-cdk-lib/aws-sns';
import {
  ALARMS,
  DASHBOARD,
  alarmTerms,
  definitionProblems,
  extraDimensions,
  widgetsOf,
  type AlarmDefinition,
  type MetricWidgetDefinition,
} from '@token-vault/cdk/lib/monitoring';
import { FUNCTIONS, type FunctionKey } from '@token-vault/cdk/lib/definitions/functions';
import {
  AWS_METRICS,
  METRICS,
  METRICS_NAMESPACE,
  UNKNOWN_APPLICATION,
  type AwsMetricDefinition,
} from '@token-vault/cdk/lib/definitions/metrics';
import { TokenVault, TokenVaultConfigError, VaultMonitoring, type VaultMonitoringProps } from '@token-vault/cdk';
import { MONITORING_DEFINITIONS } from '@token-vault/cdk/lib/constructs/monitoring';
import {
  cfnLint,
  flatten,
  logicalId,
  newTestApp,
  resourcesOfType,
  secretLookingStrings,
  synthesize,
  type Synthesized,
  type TemplateJson,
} from './support/synth';

const APPLICATIONS = ['default', 'crm'];
const FUNCTION_KEYS = Object.keys(FUNCTIONS) as FunctionKey[];

interface DashboardBody {
  widgets: { type: string; width: number; height: number; properties: Record<string, unknown> & { title?: string } }[];
}
type AlarmProperties = Record<string, unknown> & {
  AlarmDescription: string;
  Threshold: number;
  ComparisonOperator: string;
  EvaluationPeriods: number;
  DatapointsToAlarm: number;
  TreatMissingData: string;
  AlarmActions?: unknown[];
  OKActions?: unknown[];
  MetricName?: string;
  Namespace?: string;
  Statistic?: string;
  Dimensions?: { Name: string; Value: unknown }[];
  Metrics?: {
    Id: string;
    Expression?: string;
    ReturnData?: boolean;
    MetricStat?: {
      Metric: { Namespace: string; MetricName: string; Dimensions: { Name: string; Value: unknown }[] };
      Stat: string;
      Period: number;
    };
  }[];
};

let app: App;
let withTopic: TokenVault;
let withoutTopic: TokenVault;
let out: Synthesized;
let template: TemplateJson;
let quiet: TemplateJson;

beforeAll(() => {
  // No bundling: these tests read the monitoring resources only.
  app = newTestApp({ 'aws:cdk:bundling-stacks': [] });
  const stack = new Stack(app, 'Monitored');
  const topic = new sns.Topic(stack, 'OpsTopic');
  withTopic = new TokenVault(stack, 'Vault', {
    applications: APPLICATIONS.map((applicationId) => ({ applicationId, clientId: `${applicationId}-client` })),
    alarmTopic: topic,
  });
  const quietStack = new Stack(app, 'Quiet');
  withoutTopic = new TokenVault(quietStack, 'Vault', { applications: [{ clientId: 'c' }] });
  out = synthesize(app);
  template = out.json.Monitored!;
  quiet = out.json.Quiet!;
});

afterAll(() => {
  fs.rmSync(out.outdir, { recursive: true, force: true });
});

function dashboardBody(t: TemplateJson): DashboardBody {
  const dashboards = resourcesOfType(t, 'AWS::CloudWatch::Dashboard');
  expect(dashboards).toHaveLength(1);
  return JSON.parse(flatten(dashboards[0]![1].DashboardBody)) as DashboardBody;
}

function alarmsOf(t: TemplateJson): [string, AlarmProperties][] {
  return resourcesOfType(t, 'AWS::CloudWatch::Alarm') as [string, AlarmProperties][];
}

/** The alarms created for one definition, by subject (application, function key or dead-letters). */
function alarmsFor(vault: TokenVault, t: TemplateJson, definition: AlarmDefinition): Map<string, AlarmProperties> {
  const result = new Map<string, AlarmProperties>();
  for (const created of vault.monitoring.alarms.filter((a) => a.definitionId === definition.id)) {
    result.set(created.subject, t.Resources[logicalId(created.alarm)]!.Properties as AlarmProperties);
  }
  return result;
}

const dimensionsOf = (list: { Name: string; Value: unknown }[]): Record<string, string> =>
  Object.fromEntries(list.map((d) => [d.Name, typeof d.Value === 'string' ? d.Value : flatten(d.Value)]));

describe('the definition', () => {
  it('is consistent: widths, unique ids, every alarm term fixes every dimension, at most 10 metrics per alarm', () => {
    expect(definitionProblems(DASHBOARD, ALARMS)).toEqual([]);
  });

  it("has the guide's four panels first", () => {
    expect(DASHBOARD.rows[0]!.map((w) => w.title)).toEqual([
      'Active tokens per application',
      'Token refresh frequency',
      'Failed authentication attempts',
      'Revoked tokens and reasons',
    ]);
  });

  it('draws every metric the functions emit', () => {
    const drawn = new Set(
      widgetsOf(DASHBOARD).flatMap((w) =>
        w.kind === 'metric' ? w.series.filter((s) => s.source === 'vault').map((s) => s.metric) : [],
      ),
    );
    expect([...drawn].sort()).toEqual(Object.keys(METRICS).sort());
  });

  it('is refused by the construct when inconsistent', () => {
    const stack = new Stack(newTestApp({ 'aws:cdk:bundling-stacks': [] }), 'Bad');
    const bad: AlarmDefinition = {
      ...ALARMS[0]!,
      id: 'Bad',
      signal: { kind: 'vault-sum', terms: [{ metric: 'REFRESH', stat: 'Sum', where: {} }] },
    };
    expect(
      () =>
        new VaultMonitoring(stack, 'M', {
          functions: withoutTopic.functions,
          applicationIds: ['default'],
          deadLetterQueue: withoutTopic.deadLetterQueue.queue,
          // Other definitions than the vault's go in through the internal hook (not part of the public props).
          [MONITORING_DEFINITIONS]: { alarms: [bad] },
        } as VaultMonitoringProps),
    ).toThrow(TokenVaultConfigError);
  });
});

describe('the dashboard', () => {
  let body: DashboardBody;
  beforeAll(() => {
    body = dashboardBody(template);
  });

  const widgetByTitle = (title: string) => {
    const found = body.widgets.filter((w) => w.properties.title === title);
    expect(found).toHaveLength(1);
    return found[0]!;
  };

  it('has every widget of the definition, in order, plus the alarm status', () => {
    expect(body.widgets.map((w) => w.properties.title)).toEqual([
      ...widgetsOf(DASHBOARD).map((w) => w.title),
      'Alarms',
    ]);
    for (const widget of widgetsOf(DASHBOARD)) {
      expect(widgetByTitle(widget.title)).toMatchObject({ width: widget.width, height: widget.height });
    }
  });

  const metricWidgets = widgetsOf(DASHBOARD).filter((w): w is MetricWidgetDefinition => w.kind === 'metric');

  it.each(metricWidgets.map((w) => [w.id, w] as const))(
    '%s draws its series for each application / function',
    (_id, widget) => {
      const rendered = widgetByTitle(widget.title).properties as {
        metrics: unknown[][];
        period: number;
        stacked: boolean;
      };
      expect(rendered.period).toBe(DASHBOARD.periodSeconds);
      expect(rendered.stacked).toBe(widget.stacked ?? false);
      const lines = rendered.metrics.map((line) => JSON.stringify(line));
      let expected = 0;
      for (const series of widget.series) {
        if (series.source === 'aws') {
          const aws = AWS_METRICS[series.metric];
          const subjects = aws.namespace === 'AWS/SQS' ? 1 : FUNCTION_KEYS.length; // SQS: the one queue the metric names
          // Two queues may share a metric name in one widget: an SQS line is told apart by its label.
          const matching = lines.filter(
            (l) =>
              l.startsWith(JSON.stringify([aws.namespace, aws.name, aws.dimension]).slice(0, -1)) &&
              (aws.namespace !== 'AWS/SQS' || l.includes(`"label":${JSON.stringify(series.label)}`)),
          );
          expect(matching).toHaveLength(subjects);
          for (const line of matching) expect(line).toContain(`"stat":"${series.stat}"`);
          expected += subjects;
          continue;
        }
        const definition = METRICS[series.metric];
        const applications =
          series.includeUnknownApplication === true ? [...APPLICATIONS, UNKNOWN_APPLICATION] : APPLICATIONS;
        for (const application of applications) {
          if (extraDimensions(series.metric).length === 0) {
            const prefix = JSON.stringify([METRICS_NAMESPACE, definition.name, 'Application', application]).slice(
              0,
              -1,
            );
            const matching = lines.filter((l) => l.startsWith(prefix) && l.includes(`"stat":"${series.stat}"`));
            expect(matching).toHaveLength(1);
          } else {
            const search = `SEARCH('{${[METRICS_NAMESPACE, ...definition.dimensions].join(',')}} MetricName=\\"${definition.name}\\" Application=\\"${application}\\"', '${series.stat}', ${DASHBOARD.periodSeconds})`;
            const matching = lines.filter((l) => l.includes(search));
            expect(matching).toHaveLength(1);
            if (!series.split) expect(matching[0]).toContain(`"expression":"SUM(${search})"`);
          }
          expected += 1;
        }
      }
      expect(lines).toHaveLength(expected);
    },
  );

  it('queries the function log groups for per-user events', () => {
    const logs = widgetsOf(DASHBOARD).filter((w) => w.kind === 'logs');
    expect(logs.length).toBeGreaterThan(0);
    for (const widget of logs) {
      const rendered = widgetByTitle(widget.title).properties as { query: string };
      for (const key of widget.functions) {
        expect(rendered.query).toContain(`'<${logicalId(withTopic.functions[key].logGroup)}>'`);
      }
      expect(rendered.query).toContain(widget.query.split('\n')[0]);
    }
  });
});

describe('the alarms', () => {
  const subjectsOf = (definition: AlarmDefinition): string[] => {
    if (definition.signal.kind === 'aws') {
      const aws: AwsMetricDefinition = AWS_METRICS[definition.signal.metric];
      if (aws.namespace !== 'AWS/SQS') return FUNCTION_KEYS;
      const subjects = { refreshDeadLetters: 'refresh-dead-letters', eventDeadLetters: 'event-dead-letters' } as const;
      return [
        aws.queue === 'refreshDeadLetters' || aws.queue === 'eventDeadLetters' ? subjects[aws.queue] : 'dead-letters',
      ];
    }
    return definition.includeUnknownApplication === true ? [...APPLICATIONS, UNKNOWN_APPLICATION] : APPLICATIONS;
  };

  it('creates exactly the defined alarms, per application, function or queue', () => {
    const expected = ALARMS.reduce((sum, definition) => sum + subjectsOf(definition).length, 0);
    expect(alarmsOf(template)).toHaveLength(expected);
  });

  it.each(ALARMS.map((a) => [a.id, a] as const))(
    '%s watches the defined metrics with the defined threshold',
    (_id, definition) => {
      const alarms = alarmsFor(withTopic, template, definition);
      expect([...alarms.keys()].sort()).toEqual([...subjectsOf(definition)].sort());
      for (const [subject, alarm] of alarms) {
        expect(alarm).toMatchObject({
          Threshold: definition.threshold,
          ComparisonOperator: definition.comparison,
          EvaluationPeriods: definition.evaluationPeriods,
          DatapointsToAlarm: definition.datapointsToAlarm,
          TreatMissingData: 'notBreaching',
        });
        expect(alarm.AlarmDescription).toContain(definition.title);
        const signal = definition.signal;
        if (signal.kind === 'aws') {
          const aws = AWS_METRICS[signal.metric];
          expect(alarm).toMatchObject({
            Namespace: aws.namespace,
            MetricName: aws.name,
            Statistic: signal.stat,
            Period: definition.periodSeconds,
          });
          const value = dimensionsOf(alarm.Dimensions!)[aws.dimension];
          const target =
            subject === 'dead-letters'
              ? withTopic.deadLetterQueue.queue
              : subject === 'refresh-dead-letters'
                ? withTopic.refreshQueue.deadLetterQueue
                : subject === 'event-dead-letters'
                  ? withTopic.connectionEvents.deadLetterQueue
                  : withTopic.functions[subject as FunctionKey].function;
          expect(value).toMatch(new RegExp(`^<${logicalId(target)}(\\.QueueName)?>$`));
          continue;
        }
        // Vault metrics: the referenced series, each with every dimension fixed, Application = the subject.
        const terms = alarmTerms(definition);
        const expectedSeries = terms.map((term) => ({
          name: METRICS[term.metric].name,
          stat: term.stat,
          dimensions: { Application: subject, ...term.where },
        }));
        const rendered =
          alarm.Metrics === undefined
            ? [
                {
                  name: alarm.MetricName!,
                  stat: alarm.Statistic!,
                  dimensions: dimensionsOf(alarm.Dimensions!),
                  namespace: alarm.Namespace!,
                },
              ]
            : alarm.Metrics.filter((m) => m.MetricStat !== undefined).map((m) => ({
                name: m.MetricStat!.Metric.MetricName,
                stat: m.MetricStat!.Stat,
                dimensions: dimensionsOf(m.MetricStat!.Metric.Dimensions),
                namespace: m.MetricStat!.Metric.Namespace,
              }));
        expect(rendered.map(({ namespace }) => namespace)).toEqual(rendered.map(() => METRICS_NAMESPACE));
        const sorted = <T>(list: T[]): T[] =>
          [...list].sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b)));
        expect(sorted(rendered.map(({ namespace: _n, ...rest }) => rest))).toEqual(sorted(expectedSeries));
        for (const series of rendered) {
          // The full dimension set (CloudWatch matches sets; order is irrelevant).
          expect(Object.keys(series.dimensions).sort()).toEqual(
            [...METRICS[terms.find((t) => METRICS[t.metric].name === series.name)!.metric].dimensions].sort(),
          );
        }
        if (alarm.Metrics !== undefined) {
          const returned = alarm.Metrics.filter((m) => m.ReturnData !== false);
          expect(returned).toHaveLength(1);
          expect(returned[0]!.Expression).toBeDefined();
        }
      }
    },
  );

  it('computes the refresh failure rate from the ok refreshes of every trigger and the refresh count', () => {
    const definition = ALARMS.find((a) => a.id === 'RefreshFailureRate')!;
    const alarm = alarmsFor(withTopic, template, definition).get('default')!;
    const expression = alarm.Metrics!.find((m) => m.ReturnData !== false)!.Expression;
    expect(expression).toBe('IF(total >= 10, 100 * (total - (FILL(ok0, 0) + FILL(ok1, 0) + FILL(ok2, 0))) / total, 0)');
    const byId = Object.fromEntries(alarm.Metrics!.filter((m) => m.MetricStat).map((m) => [m.Id, m.MetricStat!]));
    expect(byId.total).toMatchObject({ Metric: { MetricName: 'RefreshLatency' }, Stat: 'SampleCount' });
    expect(['ok0', 'ok1', 'ok2'].map((id) => dimensionsOf(byId[id]!.Metric.Dimensions))).toEqual([
      { Application: 'default', Trigger: 'on_demand', Result: 'ok' },
      { Application: 'default', Trigger: 'proactive', Result: 'ok' },
      { Application: 'default', Trigger: 'forced', Result: 'ok' },
    ]);
  });

  it('notify the alarm topic (alarm and recovery) when the vault has one', () => {
    const topicRef = { Ref: logicalId(withTopic.alarmTopic as sns.Topic) };
    for (const [, alarm] of alarmsOf(template)) {
      expect(alarm.AlarmActions).toEqual([topicRef]);
      expect(alarm.OKActions).toEqual([topicRef]);
    }
  });

  it('have no actions without a topic, and still exist', () => {
    const alarms = alarmsOf(quiet);
    expect(alarms.length).toBeGreaterThan(0);
    expect(withoutTopic.alarmTopic).toBeUndefined();
    for (const [, alarm] of alarms) {
      expect(alarm.AlarmActions).toBeUndefined();
      expect(alarm.OKActions).toBeUndefined();
    }
  });
});

describe('the refresh sweep', () => {
  it('may Query the connections table (the active counters sampled after each sweep)', () => {
    const policies = resourcesOfType(template, 'AWS::IAM::Policy');
    const role = logicalId(withTopic.functions.sweep.role);
    const statements = policies
      .filter(([, p]) => (p.Roles as { Ref: string }[]).some((r) => r.Ref === role))
      .flatMap(
        ([, p]) => (p.PolicyDocument as { Statement: { Action: string | string[]; Resource: unknown }[] }).Statement,
      );
    const tableArn = { 'Fn::GetAtt': [logicalId(withTopic.data.connectionsTable), 'Arn'] };
    expect(
      statements.some(
        (s) =>
          ([] as string[]).concat(s.Action).includes('dynamodb:Query') &&
          JSON.stringify(s.Resource) === JSON.stringify(tableArn),
      ),
    ).toBe(true);
  });
});

describe('the template', () => {
  it('passes cfn-lint and the secrets scan', () => {
    const lint = cfnLint(out.templatePaths);
    expect(lint.output).toContain('no findings');
    expect(lint.status).toBe(0);
    expect(secretLookingStrings(template)).toEqual([]);
  });
});
