/**
 * esbuild aliases for Lambda bundles, shared by the CDK stack and the bundle
 * benchmark so both measure the same output. Paths are relative to the
 * project root, where esbuild runs.
 */
export const LAMBDA_BUNDLE_ALIASES: Readonly<Record<string, string>> = {
  // Lambda provides credentials in environment variables only, so the SDK's
  // default chain (SSO, INI, process, web identity: about 95 KB minified
  // per function) is replaced by the environment provider.
  '@aws-sdk/credential-provider-node': './lambdas/runtime/lambda-credentials.ts',
};
