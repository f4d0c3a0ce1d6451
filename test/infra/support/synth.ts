/**
 * Synthesis helpers for the infra tests: one synthesis per test file (bundling runs esbuild five times), the
 * templates as JSON and as `Template`, cdk-nag findings with and without acknowledgements, and cfn-lint.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { App, Stack, Validations, type CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';

export const REPOSITORY_ROOT = path.resolve(__dirname, '..', '..', '..');

/** A fresh app writing into its own temporary directory, with asset metadata on (as under the CDK CLI). */
export function newTestApp(context: Record<string, unknown> = {}): App {
  return new App({
    outdir: fs.mkdtempSync(path.join(os.tmpdir(), 'token-vault-infra-')),
    context: { 'aws:cdk:enable-asset-metadata': true, ...context },
  });
}

export interface Synthesized {
  readonly outdir: string;
  /** Template JSON by stack name. */
  readonly json: Readonly<Record<string, TemplateJson>>;
  /** Assertion templates by stack name. */
  readonly templates: Readonly<Record<string, Template>>;
  /** Paths of the written templates. */
  readonly templatePaths: readonly string[];
}

export interface TemplateJson {
  readonly Resources: Record<string, { Type: string; Properties?: Record<string, unknown>; [key: string]: unknown }>;
  readonly Outputs?: Record<string, { Value: unknown; [key: string]: unknown }>;
  readonly [key: string]: unknown;
}

/** Synthesizes the app once (running its validation plugins) and loads every stack's template. */
export function synthesize(app: App): Synthesized {
  const assembly = app.synth();
  const json: Record<string, TemplateJson> = {};
  const templates: Record<string, Template> = {};
  const templatePaths: string[] = [];
  for (const stack of assembly.stacks) {
    const template = JSON.parse(fs.readFileSync(stack.templateFullPath, 'utf8')) as TemplateJson;
    json[stack.stackName] = template;
    templates[stack.stackName] = Template.fromJSON(template);
    templatePaths.push(stack.templateFullPath);
  }
  return { outdir: assembly.directory, json, templates, templatePaths };
}

export interface ValidationReport {
  readonly pluginReports: readonly {
    pluginName: string;
    violations: readonly { ruleName: string; severity: string }[];
  }[];
}

/** The validation report CDK writes next to the templates. */
export function readValidationReport(outdir: string): ValidationReport {
  return JSON.parse(fs.readFileSync(path.join(outdir, 'validation-report.json'), 'utf8')) as ValidationReport;
}

export interface Finding {
  readonly ruleId: string;
  readonly path: string;
}

/** AwsSolutions findings as if nothing were acknowledged. */
export function rawNagFindings(app: App): Finding[] {
  class Unacknowledged extends AwsSolutionsChecks {}
  // Test-only: the pack consults acknowledgements in a private method; turn it off to see every raw finding.
  Object.defineProperty(Unacknowledged.prototype, 'isAcknowledged', { value: () => false });
  const report = new Unacknowledged(app).validateScope(app);
  return report.violations.flatMap((violation) =>
    violation.violatingResources.map((resource) => ({
      ruleId: violation.ruleName,
      path: resource.constructPath ?? '',
    })),
  );
}

export interface Acknowledgement {
  readonly ruleId: string;
  readonly reason: string;
  readonly path: string;
}

/** Every `Validations.of(x).acknowledge(...)` in the tree. */
export function acknowledgements(root: IConstruct): Acknowledgement[] {
  const result: Acknowledgement[] = [];
  for (const construct of root.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) {
        result.push({ ruleId: id.replace(/^annotation::/i, ''), reason, path: construct.node.path });
      }
    }
  }
  return result;
}

/** True when `ack` covers `finding` (same rule, on the finding's construct or an ancestor). */
export function covers(ack: Acknowledgement, finding: Finding): boolean {
  return ack.ruleId === finding.ruleId && (finding.path === ack.path || finding.path.startsWith(`${ack.path}/`));
}

export interface CfnLintResult {
  readonly status: number | null;
  readonly output: string;
}

/** Runs scripts/cfn-lint.sh (the pinned cfn-lint in .venv) on the given templates. */
export function cfnLint(templatePaths: readonly string[]): CfnLintResult {
  const result = spawnSync('bash', [path.join(REPOSITORY_ROOT, 'scripts', 'cfn-lint.sh'), ...templatePaths], {
    cwd: REPOSITORY_ROOT,
    encoding: 'utf8',
    timeout: 120_000,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Runs the pinned checkov (scripts/checkov.sh, acknowledgements in scripts/checkov.yaml) on the templates. */
export function checkov(templatePaths: readonly string[]): CfnLintResult {
  const result = spawnSync('bash', [path.join(REPOSITORY_ROOT, 'scripts', 'checkov.sh'), ...templatePaths], {
    cwd: REPOSITORY_ROOT,
    encoding: 'utf8',
    timeout: 300_000,
  });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Resources of one type in a template, by logical id. */
export function resourcesOfType(template: TemplateJson, type: string): [string, Record<string, unknown>][] {
  return Object.entries(template.Resources)
    .filter(([, resource]) => resource.Type === type)
    .map(([id, resource]) => [id, resource.Properties ?? {}]);
}

/**
 * Replaces CloudFormation intrinsics by placeholder strings so a `Fn::Join`-built value can be parsed:
 * `{ "Fn::ImportValue": X }` -> `<import:X>`, `{ "Fn::GetAtt": [A, B] }` -> `<A.B>`, `{ Ref: A }` -> `<A>`.
 */
export function flatten(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value !== null && typeof value === 'object') {
    const object = value as Record<string, unknown>;
    if ('Fn::Join' in object) {
      const [separator, parts] = object['Fn::Join'] as [string, unknown[]];
      return parts.map(flatten).join(separator);
    }
    if ('Fn::ImportValue' in object) return `<import:${flatten(object['Fn::ImportValue'])}>`;
    if ('Fn::GetAtt' in object) return `<${(object['Fn::GetAtt'] as string[]).join('.')}>`;
    if ('Ref' in object) return `<${String(object.Ref)}>`;
  }
  throw new Error(`Cannot flatten ${JSON.stringify(value)}`);
}

/** Statements of every IAM policy attached to a role, by role logical id. */
export function roleStatements(template: TemplateJson): Map<string, Statement[]> {
  const byRole = new Map<string, Statement[]>();
  for (const [, properties] of resourcesOfType(template, 'AWS::IAM::Policy')) {
    const document = properties.PolicyDocument as { Statement: Statement[] };
    for (const role of properties.Roles as { Ref: string }[]) {
      byRole.set(role.Ref, [...(byRole.get(role.Ref) ?? []), ...document.Statement]);
    }
  }
  return byRole;
}

export interface Statement {
  readonly Effect: 'Allow' | 'Deny';
  readonly Action: string | string[];
  readonly Resource?: unknown;
  readonly Principal?: unknown;
  readonly Condition?: Record<string, Record<string, unknown>>;
  readonly Sid?: string;
}

export function actionsOf(statement: Statement): string[] {
  return Array.isArray(statement.Action) ? statement.Action : [statement.Action];
}

export function resourcesOf(statement: Statement): unknown[] {
  return Array.isArray(statement.Resource) ? statement.Resource : [statement.Resource];
}

/** Logical id of the construct's default CloudFormation resource. */
export function logicalId(construct: IConstruct): string {
  const resource = construct.node.defaultChild as CfnElement;
  return Stack.of(construct).getLogicalId(resource);
}

/**
 * Strings in a template that look like credentials: provider token prefixes (the seed's `otesse_rt_`), JWTs,
 * AWS access keys, PEM blocks, `client_secret=`-style assignments, and long high-entropy runs (random base64
 * carries ~6 bits per character; CDK logical ids, words with a hex hash, stay well below, and hex asset hashes at
 * most 4). CDK identifiers (words plus 8-digit uppercase hex hashes: logical ids, export names) are skipped,
 * and CDK's own analytics blob (`CDKMetadata`) is left out.
 */
export function secretLookingStrings(template: TemplateJson): string[] {
  const patterns = [
    /otesse_(?:rt|at)_[A-Za-z0-9]+/,
    /eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/,
    /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/,
    /-----BEGIN [A-Z ]*PRIVATE KEY-----/,
    /(?:client_secret|refresh_token|access_token|password)["']?\s*[:=]\s*["']?[^\s"',}]{6,}/i,
  ];
  const longRuns = /[A-Za-z0-9+/_-]{32,}={0,2}/g;
  const found: string[] = [];
  const visit = (value: unknown): void => {
    if (typeof value === 'string') {
      for (const pattern of patterns) if (pattern.test(value)) found.push(value);
      for (const match of value.match(longRuns) ?? []) {
        if (isCdkIdentifier(match)) continue;
        if (shannonBitsPerChar(match) >= HIGH_ENTROPY_BITS_PER_CHAR) found.push(match);
      }
    } else if (Array.isArray(value)) {
      value.forEach(visit);
    } else if (value !== null && typeof value === 'object') {
      for (const [key, inner] of Object.entries(value as Record<string, unknown>)) {
        if (key === 'SecretString') found.push(`SecretString: ${JSON.stringify(inner)}`);
        visit(inner);
      }
    }
  };
  const { CDKMetadata: _analytics, ...resources } = template.Resources;
  visit({ ...template, Resources: resources });
  return found;
}

/** Threshold between identifiers/hashes and random secrets, in bits per character. */
const HIGH_ENTROPY_BITS_PER_CHAR = 4.5;

function shannonBitsPerChar(text: string): number {
  const counts = new Map<string, number>();
  for (const char of text) counts.set(char, (counts.get(char) ?? 0) + 1);
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / text.length;
    bits -= p * Math.log2(p);
  }
  return bits;
}

/** Words joined with CDK's 8-character uppercase hex hashes, e.g. `ExportsOutputRefDataKey4917C88EArn9D920772`. */
function isCdkIdentifier(text: string): boolean {
  // A function's published version is named after its configuration's hash: `...CurrentVersion<8 HEX><32 hex>`.
  return /^[A-Za-z/_-]*$/.test(
    text.replace(/CurrentVersion[0-9A-F]{8}[0-9a-f]{32}/g, 'CurrentVersion').replace(/[0-9A-F]{8}/g, ''),
  );
}
