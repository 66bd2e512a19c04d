import { describe, expect, it } from 'vitest';
import { HttpAccessProvider } from '../../lambdas/access/http-provider.js';
import { AccessUnavailableError } from '../../lambdas/domain/errors.js';
import { createLogger } from '../../lambdas/logger.js';

/** Creates a provider whose endpoint responds with `status` (500 fails, 200 returns FULL), counting the calls. */
function providerWith(options: { threshold?: number } = {}) {
  let now = Date.parse('2026-06-01T12:00:00.000Z');
  let status = 500;
  let calls = 0;
  const provider = new HttpAccessProvider({
    url: 'http://127.0.0.1:9/decide',
    secret: 'secret',
    timeoutMs: 1000,
    cacheSeconds: 30,
    clock: () => now,
    logger: createLogger('silent'),
    ...(options.threshold !== undefined && { circuitFailureThreshold: options.threshold }),
    fetch: async () => {
      calls += 1;
      return new Response(JSON.stringify({ mode: 'FULL' }), { status });
    },
  });
  return {
    provider,
    advance: (ms: number) => (now += ms),
    respond: (next: number) => (status = next),
    calls: () => calls,
  };
}

async function failures(provider: HttpAccessProvider, count: number, user = 'u'): Promise<void> {
  for (let index = 0; index < count; index += 1) {
    await expect(provider.canReadChannel(`${user}-${index}`, 'ch_1')).rejects.toBeInstanceOf(AccessUnavailableError);
  }
}

describe('HttpAccessProvider circuit breaker', () => {
  it('fails fast after 5 consecutive failures', async () => {
    const endpoint = providerWith();
    await failures(endpoint.provider, 5);

    await expect(endpoint.provider.canReadChannel('next', 'ch_1')).rejects.toBeInstanceOf(AccessUnavailableError);

    expect(endpoint.calls()).toBe(5);
  });

  it('lets one trial through after 10 s and closes on success', async () => {
    const endpoint = providerWith();
    await failures(endpoint.provider, 5);
    endpoint.advance(10_000);
    endpoint.respond(200);

    const decision = await endpoint.provider.canReadChannel('trial', 'ch_1');
    const after = await endpoint.provider.canReadChannel('after', 'ch_1');

    expect(decision.mode).toBe('FULL');
    expect(after.mode).toBe('FULL');
    expect(endpoint.calls()).toBe(7);
  });

  it('reopens when the trial fails', async () => {
    const endpoint = providerWith();
    await failures(endpoint.provider, 5);
    endpoint.advance(10_000);

    await failures(endpoint.provider, 1, 'trial');
    await failures(endpoint.provider, 1, 'blocked');

    expect(endpoint.calls()).toBe(6);
  });

  it('keeps serving cached decisions while open', async () => {
    const endpoint = providerWith();
    endpoint.respond(200);
    await endpoint.provider.canReadChannel('cached', 'ch_1');
    endpoint.respond(500);
    await failures(endpoint.provider, 5);

    const decision = await endpoint.provider.canReadChannel('cached', 'ch_1');

    expect(decision.mode).toBe('FULL');
    expect(endpoint.calls()).toBe(6);
  });

  it('stays closed when the threshold is 0', async () => {
    const endpoint = providerWith({ threshold: 0 });
    await failures(endpoint.provider, 8);

    expect(endpoint.calls()).toBe(8);
  });
});
