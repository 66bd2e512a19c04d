import { App, Validations, type Environment } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { CommStack } from '../../lib/comm-stack.js';
import { acknowledgeNagFindings } from '../../lib/nag-suppressions.js';
import { buildStack } from './synth.js';

/**
 * The access provider secret exists only with `accessProviderUrl`, and a
 * pinned environment turns the region and account in IAM5 finding ids into
 * literals, so each of these shapes of the stack is checked.
 */
const CASES: ReadonlyArray<{ name: string; context: Record<string, unknown>; env?: Environment }> = [
  { name: 'without access provider', context: {} },
  { name: 'with access provider', context: { accessProviderUrl: 'https://access.test.example/check' } },
  { name: 'with pinned environment', context: {}, env: { account: '123456789012', region: 'eu-west-1' } },
];

/** One finding of the AwsSolutions pack. */
interface Finding {
  readonly severity: string;
  readonly rule: string;
  readonly path: string;
}

/** One `Validations.of(scope).acknowledge()` call, as recorded in the construct's metadata. */
interface Acknowledgement {
  readonly path: string;
  readonly id: string;
  readonly reason: unknown;
}

/** Returns the app that contains the stack. */
function appOf(stack: CommStack): App {
  return stack.node.root as App;
}

/**
 * Builds the stack as bin/app.ts does: the AwsSolutions pack on the app as a
 * validation plugin, and the acknowledgements of nag-suppressions.ts.
 */
function buildCheckedStack(context: Record<string, unknown>, env?: Environment): CommStack {
  const stack = buildStack(context, env);
  const app = appOf(stack);
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  acknowledgeNagFindings(stack);
  return stack;
}

/**
 * Runs the AwsSolutions pack over the synthesized tree. `validateScope` is the
 * entry point cdk-nag 3 documents for tests, and it skips acknowledged findings
 * as the plugin does at synthesis.
 */
function findingsOf(stack: CommStack): Finding[] {
  const app = appOf(stack);
  app.synth();

  const report = new AwsSolutionsChecks().validateScope(app);
  return report.violations.flatMap((violation) =>
    violation.violatingResources.map((resource) => ({
      severity: violation.severity ?? 'unknown',
      rule: violation.ruleName,
      path: resource.constructPath ?? 'unknown',
    })),
  );
}

/** Returns the AwsSolutions acknowledgements recorded anywhere in the stack. */
function acknowledgementsOf(stack: CommStack): Acknowledgement[] {
  const recorded = (construct: IConstruct): Acknowledgement[] =>
    construct.node.metadata
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.entries(entry.data as Record<string, unknown>))
      // aws-cdk-lib stores an id without a known plugin prefix as `Annotation::<id>`.
      .map(([qualifiedId, reason]) => ({
        path: construct.node.path,
        id: qualifiedId.replace(/^annotation::/i, ''),
        reason,
      }));

  return stack.node
    .findAll()
    .flatMap(recorded)
    .filter(({ id }) => id.startsWith('AwsSolutions-'));
}

/** Tells whether a finding lies on the acknowledged construct or below it. */
function isCoveredBy(finding: Finding, acknowledgement: Acknowledgement): boolean {
  const onConstructOrBelow = finding.path === acknowledgement.path || finding.path.startsWith(`${acknowledgement.path}/`);
  return finding.rule === acknowledgement.id && onConstructOrBelow;
}

describe.each(CASES)('AwsSolutions checks $name', ({ context, env }) => {
  let checked: CommStack;
  let unacknowledged: CommStack;

  beforeAll(() => {
    checked = buildCheckedStack(context, env);
    unacknowledged = buildStack(context, env);
  });

  it('synthesizes with the plugin', () => {
    // With a finding left, synth prints the validation report (rule, construct, acknowledgement id) and throws.
    expect(() => appOf(checked).synth()).not.toThrow();
  });

  it('leaves no unacknowledged finding', () => {
    const findings = findingsOf(checked).map(({ severity, rule, path }) => `${severity} ${rule} at ${path}`);

    expect(findings).toEqual([]);
  });

  it('gives every acknowledgement a reason', () => {
    const acknowledgements = acknowledgementsOf(checked);

    expect(acknowledgements.length).toBeGreaterThan(0);
    for (const { path, id, reason } of acknowledgements) {
      expect(typeof reason, `${id} at ${path}`).toBe('string');
      expect((reason as string).trim(), `${id} at ${path}`).not.toBe('');
    }
  });

  it('acknowledges only findings that occur', () => {
    const findings = findingsOf(unacknowledged);

    const stale = acknowledgementsOf(checked)
      .filter((acknowledgement) => !findings.some((finding) => isCoveredBy(finding, acknowledgement)))
      .map(({ id, path }) => `${id} at ${path}`);

    expect(findings.length).toBeGreaterThan(0);
    expect(stale).toEqual([]);
  });
});
