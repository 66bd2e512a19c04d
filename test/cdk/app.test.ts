import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Running the app in a child process loads aws-cdk-lib afresh, which takes seconds. */
const APP_TIMEOUT_MS = 60_000;

interface StackArtifact {
  readonly type: string;
  readonly environment: string;
}

/**
 * Runs bin/app.ts the way the CDK CLI does, through CDK_OUTDIR and
 * CDK_CONTEXT_JSON, with bundling skipped, and returns its stack artifacts
 * by artifact id, which the app sets to the stack name.
 */
async function runApp(
  context: Record<string, unknown>,
  environment: Record<string, string>,
): Promise<Record<string, StackArtifact>> {
  const outdir = await mkdtemp(join(tmpdir(), 'comm-app-'));
  try {
    const childEnvironment: NodeJS.ProcessEnv = { ...process.env };
    delete childEnvironment.CDK_DEFAULT_ACCOUNT;
    delete childEnvironment.CDK_DEFAULT_REGION;
    Object.assign(childEnvironment, environment, {
      CDK_OUTDIR: outdir,
      CDK_CONTEXT_JSON: JSON.stringify({
        'aws:cdk:bundling-stacks': [],
        jwtIssuer: 'https://auth.test.example/',
        jwtAudience: 'test-audience',
        jwtJwksUri: 'https://auth.test.example/.well-known/jwks.json',
        ...context,
      }),
    });

    await promisify(execFile)(process.execPath, ['--import', 'tsx', 'bin/app.ts'], {
      cwd: PROJECT_ROOT,
      env: childEnvironment,
    });

    const manifest = JSON.parse(await readFile(join(outdir, 'manifest.json'), 'utf8')) as {
      artifacts: Record<string, StackArtifact>;
    };
    return Object.fromEntries(
      Object.entries(manifest.artifacts).filter(([, artifact]) => artifact.type === 'aws:cloudformation:stack'),
    );
  } finally {
    await rm(outdir, { recursive: true, force: true });
  }
}

describe('bin/app.ts', () => {
  it(
    'stays environment-agnostic unless account and region are both set',
    async () => {
      const stacks = await runApp({ stackName: 'CommStaging' }, { CDK_DEFAULT_ACCOUNT: '123456789012' });

      expect(Object.keys(stacks)).toEqual(['CommStaging']);
      expect(stacks.CommStaging?.environment).toBe('aws://unknown-account/unknown-region');
    },
    APP_TIMEOUT_MS,
  );

  it(
    'pins the environment when account and region are both set',
    async () => {
      const stacks = await runApp({}, { CDK_DEFAULT_ACCOUNT: '123456789012', CDK_DEFAULT_REGION: 'eu-west-1' });

      expect(Object.keys(stacks)).toEqual(['CommLayer']);
      expect(stacks.CommLayer?.environment).toBe('aws://123456789012/eu-west-1');
    },
    APP_TIMEOUT_MS,
  );
});
