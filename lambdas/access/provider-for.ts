import type { App } from '../app.js';
import { BuiltinAccessProvider } from './builtin-provider.js';
import { HttpAccessProvider } from './http-provider.js';
import type { AccessProvider } from './provider.js';

const providerByApp = new WeakMap<App, Promise<AccessProvider>>();

/**
 * Returns the App's access provider, built on first use: the HTTP provider
 * when ACCESS_PROVIDER_URL is set (its secret read once from Secrets
 * Manager), the built-in provider otherwise. One instance per App, so the
 * HTTP provider's decision cache lives as long as the Lambda instance.
 */
export function accessProviderFor(app: App): Promise<AccessProvider> {
  let provider = providerByApp.get(app);
  if (!provider) {
    provider = createProvider(app);
    providerByApp.set(app, provider);
    // A failed secret read must not stay cached: the next request tries again.
    provider.catch(() => providerByApp.delete(app));
  }
  return provider;
}

async function createProvider(app: App): Promise<AccessProvider> {
  const settings = app.config.accessProvider;
  if (settings.kind === 'builtin') return new BuiltinAccessProvider(app.db, app.config.tables, app.clock);

  const secret = app.accessProviderSecret ?? (await readSecret(settings.secretArn));
  return new HttpAccessProvider({ ...settings, secret, clock: app.clock, logger: app.logger });
}

/** Port of the AWS Parameters and Secrets Lambda Extension's local HTTP endpoint. @default 2773 */
const EXTENSION_PORT_VARIABLE = 'PARAMETERS_SECRETS_EXTENSION_HTTP_PORT';

/**
 * Reads the provider secret through the AWS Parameters and Secrets Lambda
 * Extension (a layer the stack adds to the functions that need it), which
 * caches it and spares each bundle a Secrets Manager client. The extension
 * authenticates the call with the function's own session token.
 */
async function readSecret(secretArn: string | undefined): Promise<string> {
  if (!secretArn) {
    throw new Error('Missing environment variable ACCESS_PROVIDER_SECRET_ARN: the HTTP access provider needs its shared secret');
  }
  const port = process.env[EXTENSION_PORT_VARIABLE] ?? '2773';
  const response = await fetch(`http://localhost:${port}/secretsmanager/get?secretId=${encodeURIComponent(secretArn)}`, {
    headers: { 'X-Aws-Parameters-Secrets-Token': process.env.AWS_SESSION_TOKEN ?? '' },
  });
  if (!response.ok) {
    throw new Error(`Reading the access provider secret failed with HTTP ${response.status}; is the Parameters and Secrets extension layer attached?`);
  }
  const { SecretString } = (await response.json()) as { SecretString?: string };
  if (!SecretString) throw new Error('The access provider secret has no string value; store the shared secret as SecretString');
  return SecretString;
}
