import { fromEnv } from '@aws-sdk/credential-provider-env';

/**
 * Stands in for `@aws-sdk/credential-provider-node` in Lambda bundles only
 * (esbuild alias in the CDK stack). Lambda always puts the function role's
 * credentials in AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
 * AWS_SESSION_TOKEN, so the default chain's SSO, INI, process and web
 * identity providers (about 95 KB minified) are dead code there. The local
 * stack and tests run unbundled and keep the full chain.
 */
export const defaultProvider = (init?: Parameters<typeof fromEnv>[0]) => fromEnv(init);
