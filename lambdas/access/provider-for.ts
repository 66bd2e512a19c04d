import type { App } from '../app.js';
import { AccessUnavailableError } from '../domain/errors.js';
import { errorFields } from '../logger.js';
import { BuiltinAccessProvider } from './builtin-provider.js';
import { HttpAccessProvider } from './http-provider.js';
import type { AccessProvider } from './provider.js';

/** How long a provider (and the secret it signs with) is used before it is built again, so a rotated secret takes effect. */
const PROVIDER_LIFETIME_MS = 5 * 60 * 1000;
/** A secret read slower than this fails closed like a slow provider. */
const SECRET_READ_TIMEOUT_MS = 2_000;

const providerByApp = new WeakMap<App, { provider: Promise<AccessProvider>; createdAt: number }>();

/**
 * Returns the App's access provider, built on first use: the HTTP provider
 * when ACCESS_PROVIDER_URL is set (its secret read from Secrets Manager
 * through the extension), the built-in provider otherwise. One instance per App is reused
 * for five minutes, so the HTTP provider's decision cache survives across
 * requests and a rotated secret is picked up soon after.
 */
export function accessProviderFor(app: App): Promise<AccessProvider> {
  const now = Date.now();
  const cached = providerByApp.get(app);
  if (cached && now - cached.createdAt < PROVIDER_LIFETIME_MS) return cached.provider;

  const provider = createProvider(app);
  providerByApp.set(app, { provider, createdAt: now });
  // A failed secret read must not stay cached: the next request tries again.
  provider.catch(() => providerByApp.delete(app));
  return provider;
}

async function createProvider(app: App): Promise<AccessProvider> {
  const settings = app.config.accessProvider;
  if (settings.kind === 'builtin') return new BuiltinAccessProvider(app.db, app.config.tables, app.clock);

  let secret = app.accessProviderSecret;
  if (secret === undefined) {
    try {
      secret = await readSecret(settings.secretArn);
    } catch (error) {
      // Without its secret the provider cannot be asked, so fail closed as if it were down.
      app.logger.error('Reading the access provider secret failed', errorFields(error));
      throw new AccessUnavailableError('The access provider is unavailable; try again shortly', { cause: error });
    }
  }
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
    signal: AbortSignal.timeout(SECRET_READ_TIMEOUT_MS),
  });
  if (!response.ok) {
    throw new Error(`Reading the access provider secret failed with HTTP ${response.status}; is the Parameters and Secrets extension layer attached?`);
  }
  const { SecretString } = (await response.json()) as { SecretString?: string };
  if (!SecretString) throw new Error('The access provider secret has no string value; store the shared secret as SecretString');
  return SecretString;
}
