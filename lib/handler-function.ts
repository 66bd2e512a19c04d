import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration } from 'aws-cdk-lib';
import { Role, ServicePrincipal, type PolicyStatement } from 'aws-cdk-lib/aws-iam';
import {
  Architecture,
  LoggingFormat,
  ParamsAndSecretsLayerVersion,
  ParamsAndSecretsVersions,
  Runtime,
} from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat, type BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { LAMBDA_BUNDLE_ALIASES } from './bundle-aliases.js';
import { CONTEXT_DEFAULTS } from './config.js';

/** Repository root: the parent of lib/, where package-lock.json and lambdas/ live. */
const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Default memory of a handler function, in MiB. Lambda assigns CPU in proportion to it. */
export const FUNCTION_MEMORY_MB = 512;

/**
 * esbuild settings shared by every handler function. Bundling runs the
 * project's own esbuild, never Docker.
 */
const BUNDLING: BundlingOptions = {
  format: OutputFormat.ESM,
  target: 'node22',
  // ESM builds first: a CommonJS dependency bundled into ESM output throws
  // "Dynamic require ... is not supported" when it requires a Node built-in.
  // NOTE: a dependency that ships only CommonJS still hits that error at
  // load time; it then needs a banner that defines `require` with createRequire.
  mainFields: ['module', 'main'],
  minify: true,
  // A linked map file (not the "external" mode, which drops the
  // sourceMappingURL comment) so that --enable-source-maps can find it.
  sourceMap: true,
  sourcesContent: false,
  // Bundle the AWS SDK as well, so Lambda runs the versions pinned in
  // package-lock.json rather than the copy in the runtime image.
  externalModules: [],
  // esbuild resolves the replacement paths from the project root, the
  // working directory of local bundling. The bundle benchmark applies the
  // same aliases.
  esbuildArgs: { '--alias': Object.entries(LAMBDA_BUNDLE_ALIASES).map(([module, replacement]) => `${module}=${replacement}`) },
};

/**
 * The AWS Parameters and Secrets Lambda Extension, through which the HTTP
 * access provider reads its shared secret from localhost. The layer sets
 * PARAMETERS_SECRETS_EXTENSION_HTTP_PORT (2773), which the handlers read.
 * The function still needs secretsmanager:GetSecretValue on the secret,
 * because the extension calls Secrets Manager with the function's own
 * credentials.
 *
 * In an environment-agnostic stack the layer ARN is an Fn::FindInMap over
 * the regions that aws-cdk-lib lists for this version and arm64.
 * NOTE: aws-cdk-lib 2.278 lists no arm64 layer for some regions (among them
 * eu-central-2, eu-south-2, ap-south-2, il-central-1 and ca-west-1). With a
 * pinned region there, synth fails. Without one, the deployment fails when
 * CloudFormation resolves the mapping.
 */
const SECRETS_EXTENSION = ParamsAndSecretsLayerVersion.fromVersion(ParamsAndSecretsVersions.V1_0_103, {
  cacheEnabled: true,
  // Bounds the wait when Secrets Manager is slow, well inside the 10 s
  // function timeout. The read fails, and the next request tries again.
  secretsManagerTimeout: Duration.seconds(2),
});

/** Access provider settings handed to the functions that check access. */
export interface AccessProviderBinding {
  /** Variables that configure the provider (URL, secret ARN, timeout, cache). */
  readonly environment: Readonly<Record<string, string>>;

  /**
   * Shared secret that signs requests to the HTTP provider. The function gets
   * read access to it and the Parameters and Secrets extension layer.
   *
   * @default - none, because the built-in provider needs no secret
   */
  readonly secret?: ISecret;
}

/** Properties of {@link HandlerFunction}. */
export interface HandlerFunctionProps {
  /** File name under lambdas/handlers without extension, for example `ws-connect`. The module exports `handler`. */
  readonly handler: string;

  /** Function description, which names what triggers it, for example `GET /api/mobile/channels`. */
  readonly description: string;

  /**
   * Description of the function's execution role.
   *
   * @default - `Runs the <description> function`
   */
  readonly roleDescription?: string;

  /** Lambda timeout. */
  readonly timeout: Duration;

  /**
   * Memory size, in MiB.
   *
   * @default FUNCTION_MEMORY_MB (512)
   */
  readonly memorySize?: number;

  /**
   * Environment variables, such as table names and role settings.
   *
   * @default - none besides NODE_OPTIONS and the access provider's variables
   */
  readonly environment?: Readonly<Record<string, string>>;

  /**
   * Statements added to the function's role, such as its DynamoDB grants.
   *
   * @default - none besides write access to its own log group
   */
  readonly statements?: readonly PolicyStatement[];

  /**
   * Access provider settings. The function gets the provider's variables and,
   * when there is a secret, read access to it and the extension layer that
   * serves it. Pass it only to functions that check access.
   *
   * @default - no provider variables, no secret and no extension layer
   */
  readonly accessProvider?: AccessProviderBinding;

  /**
   * Retention of the function's log group.
   *
   * @default RetentionDays.ONE_MONTH
   */
  readonly logRetention?: RetentionDays;

  /**
   * Directory that contains package-lock.json and lambdas/handlers.
   *
   * @default - the repository root, the parent of lib/
   */
  readonly projectRoot?: string;
}

/**
 * One Lambda function: `lambdas/handlers/<handler>.ts` bundled as ESM for
 * Node.js 22 on arm64, with its own role and its own log group, logging
 * JSON. The role can write only that log group until `statements` and
 * later grants add more.
 */
export class HandlerFunction extends Construct {
  readonly function: NodejsFunction;
  /** The function's own log group, where the alarms may add a metric filter. */
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: HandlerFunctionProps) {
    super(scope, id);

    const projectRoot = props.projectRoot ?? PROJECT_ROOT;

    const logGroup = new LogGroup(this, 'LogGroup', {
      retention: props.logRetention ?? CONTEXT_DEFAULTS.logRetentionDays,
    });
    this.logGroup = logGroup;

    // The function gets its own role instead of AWSLambdaBasicExecutionRole,
    // whose log permissions cover every log group in the account.
    const role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: props.roleDescription ?? `Runs the ${props.description} function`,
    });
    logGroup.grantWrite(role);

    this.function = new NodejsFunction(this, 'Function', {
      description: props.description,
      entry: join(projectRoot, 'lambdas', 'handlers', `${props.handler}.ts`),
      handler: 'handler',
      projectRoot,
      depsLockFilePath: join(projectRoot, 'package-lock.json'),
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? FUNCTION_MEMORY_MB,
      timeout: props.timeout,
      bundling: BUNDLING,
      environment: {
        ...props.environment,
        ...props.accessProvider?.environment,
        NODE_OPTIONS: '--enable-source-maps',
      },
      role,
      logGroup,
      paramsAndSecrets: props.accessProvider?.secret === undefined ? undefined : SECRETS_EXTENSION,
      // In JSON format Lambda filters JSON lines on stdout by their `level`
      // key and writes its own START, END and REPORT lines as JSON too
      // (AWS Lambda Developer Guide, "Log-level filtering").
      loggingFormat: LoggingFormat.JSON,
    });

    for (const statement of props.statements ?? []) {
      this.function.addToRolePolicy(statement);
    }
    props.accessProvider?.secret?.grantRead(this.function);
  }
}
