import { CfnOutput, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';
import { readCommSettings, type CommSettings } from './config.js';
import { DataTables } from './data-tables.js';
import { CommHttpApi } from './http-api.js';
import { toPascalCase } from './naming.js';
import { RouteFunction, type AccessProviderBinding } from './route-function.js';
import { ROUTES } from './routes.js';

/**
 * Properties of {@link CommStack}. The layer's own settings come from CDK
 * context (see `readCommSettings` in config.ts), so that `cdk.json` and `-c`
 * are the one place to configure a deployment.
 */
export type CommStackProps = StackProps;

/**
 * The communication layer: DynamoDB tables, one Lambda function per HTTP
 * route, and the HTTP API with its JWT authorizer.
 *
 * @throws Error listing every invalid or missing context key.
 */
export class CommStack extends Stack {
  readonly settings: CommSettings;
  readonly tables: DataTables;
  readonly functions: readonly RouteFunction[];
  readonly httpApi: CommHttpApi;

  constructor(scope: Construct, id: string, props: CommStackProps = {}) {
    super(scope, id, props);

    this.settings = readCommSettings(this.node);
    this.tables = new DataTables(this, 'Tables');

    const accessProvider = this.createAccessProvider();
    const environment = {
      ROLE_CLAIM: this.settings.roleClaim,
      ADMIN_GROUP: this.settings.adminGroup,
      MODERATOR_GROUP: this.settings.moderatorGroup,
    };
    this.functions = ROUTES.map(
      (route) =>
        new RouteFunction(this, toPascalCase(route.handler), {
          route,
          tables: this.tables,
          environment,
          accessProvider,
          logRetention: this.settings.logRetentionDays,
        }),
    );

    this.httpApi = new CommHttpApi(this, 'Http', {
      jwtIssuer: this.settings.jwtIssuer,
      jwtAudience: this.settings.jwtAudience,
      routes: this.functions.map(({ route, function: handler }) => ({ route, function: handler })),
      corsAllowedOrigins: this.settings.corsAllowedOrigins,
      throttleRateLimit: this.settings.throttleRateLimit,
      throttleBurstLimit: this.settings.throttleBurstLimit,
      accessLogRetention: this.settings.logRetentionDays,
    });

    this.createOutputs();
  }

  /**
   * Builds the provider settings for the functions that check access. With
   * `accessProviderUrl` set, it also creates the shared secret that signs
   * requests to that provider.
   */
  private createAccessProvider(): AccessProviderBinding {
    const environment: Record<string, string> = {
      ACCESS_PROVIDER_TIMEOUT_MS: String(this.settings.accessProviderTimeoutMs),
      ACCESS_PROVIDER_CACHE_SECONDS: String(this.settings.accessProviderCacheSeconds),
    };
    if (this.settings.accessProviderUrl === undefined) return { environment };

    // A generated value, so no secret ever sits in the template or the
    // repository. The platform team copies it to the provider, or replaces
    // it with `aws secretsmanager put-secret-value`.
    const secret = new Secret(this, 'AccessProviderSecret', {
      description: `Shared secret that signs requests to the access provider at ${this.settings.accessProviderUrl}`,
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: RemovalPolicy.RETAIN,
    });
    new CfnOutput(this, 'AccessProviderSecretArn', { value: secret.secretArn });

    return {
      environment: {
        ...environment,
        ACCESS_PROVIDER_URL: this.settings.accessProviderUrl,
        ACCESS_PROVIDER_SECRET_ARN: secret.secretArn,
      },
      secret,
    };
  }

  private createOutputs(): void {
    new CfnOutput(this, 'HttpApiUrl', { value: this.httpApi.url });

    for (const { definition, table } of this.tables.all) {
      new CfnOutput(this, `${toPascalCase(definition.id)}TableName`, { value: table.tableName });
    }
  }
}
