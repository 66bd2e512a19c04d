import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { HttpAccessProvider } from '../../lambdas/access/http-provider.js';
import { AccessUnavailableError } from '../../lambdas/domain/errors.js';
import { createLogger } from '../../lambdas/logger.js';

const PROVIDER_URL = 'https://platform.example/access/decide';
const SECRET = 'provider-secret';
const START = Date.parse('2025-03-01T12:00:00.000Z');

const UNAVAILABLE = 'The access provider is unavailable; try again shortly';
const INVALID = 'The access provider returned an invalid decision; try again shortly';

interface RecordedRequest {
  readonly url: string;
  readonly init: RequestInit;
}

type Responder = (request: RecordedRequest) => Promise<Response>;

/** Creates a provider whose fetch and clock the test controls, and records every request it sends. */
function createProvider(responder: Responder, overrides: { timeoutMs?: number; cacheSeconds?: number; logLines?: string[] } = {}) {
  let now = START;
  const requests: RecordedRequest[] = [];
  const fakeFetch = async (input: string | URL | Request, init: RequestInit = {}): Promise<Response> => {
    const request = { url: String(input), init };
    requests.push(request);
    return responder(request);
  };
  const logger = overrides.logLines ? createLogger('debug', {}, (line) => overrides.logLines?.push(line)) : createLogger('silent');

  const provider = new HttpAccessProvider({
    url: PROVIDER_URL,
    secret: SECRET,
    timeoutMs: overrides.timeoutMs ?? 1000,
    cacheSeconds: overrides.cacheSeconds ?? 30,
    clock: () => now,
    logger,
    fetch: fakeFetch as typeof fetch,
  });
  return {
    provider,
    requests,
    /** Sets the clock to START plus `ms`. */
    at: (ms: number) => {
      now = START + ms;
    },
  };
}

function json(body: unknown, status = 200): Responder {
  return async () => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

function raw(body: string | null, status = 200): Responder {
  return async () => new Response(body, { status, headers: { 'content-type': 'application/json' } });
}

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected the promise to reject');
}

describe('HttpAccessProvider', () => {
  describe('request', () => {
    it('posts signed JSON', async () => {
      const { provider, requests } = createProvider(json({ mode: 'FULL' }));

      await provider.canReadChannel('user-1', 'ch_1');

      expect(requests).toHaveLength(1);
      const [request] = requests;
      expect(request?.url).toBe(PROVIDER_URL);
      expect(request?.init.method).toBe('POST');
      expect(request?.init.body).toBe('{"user_id":"user-1","channel_id":"ch_1"}');
      expect(request?.init.headers).toEqual({
        'content-type': 'application/json',
        'x-comm-timestamp': '1740830400',
        'x-comm-signature': 'v1=92cbef7bf080754475f5471f0fc366a039743e43d60136ebe1b8aeb5b871830e',
      });
      expect(request?.init.signal).toBeInstanceOf(AbortSignal);
      expect(request?.init.redirect).toBe('error');
    });

    it('signature verifies with the secret', async () => {
      const { provider, requests, at } = createProvider(json({ mode: 'FULL' }));
      at(999);

      await provider.canReadChannel('user "quoted"', 'ch_2');

      const headers = requests[0]?.init.headers as Record<string, string>;
      const body = requests[0]?.init.body as string;
      const expected = createHmac('sha256', SECRET).update(`1740830400.${body}`).digest('hex');
      expect(JSON.parse(body)).toEqual({ user_id: 'user "quoted"', channel_id: 'ch_2' });
      expect(headers['x-comm-timestamp']).toBe('1740830400');
      expect(headers['x-comm-signature']).toBe(`v1=${expected}`);
    });
  });

  describe('decision', () => {
    it.each([
      { case: 'FULL', body: { mode: 'FULL' }, expected: { mode: 'FULL', validUntil: Date.parse('2025-03-01T12:00:30.000Z') } },
      { case: 'DENY', body: { mode: 'DENY' }, expected: { mode: 'DENY', validUntil: Date.parse('2025-03-01T12:00:30.000Z') } },
      {
        case: 'FULL with nulls',
        body: { mode: 'FULL', until: null, read_windows: null },
        expected: { mode: 'FULL', validUntil: Date.parse('2025-03-01T12:00:30.000Z') },
      },
      {
        case: 'worked windows',
        body: { mode: 'FULL', read_windows: [{ end: '2025-01-31T23:59:59.999Z' }, { start: '2025-02-13T00:00:00.000Z', end: null }] },
        expected: {
          mode: 'FULL',
          readWindows: [{ end: Date.parse('2025-01-31T23:59:59.999Z') }, { start: Date.parse('2025-02-13T00:00:00.000Z') }],
          validUntil: Date.parse('2025-03-01T12:00:30.000Z'),
        },
      },
      {
        case: 'ARCHIVE_UNTIL with offset',
        body: { mode: 'ARCHIVE_UNTIL', until: '2025-02-28T23:59:59.999+01:00' },
        expected: { mode: 'ARCHIVE_UNTIL', until: Date.parse('2025-02-28T22:59:59.999Z'), validUntil: Date.parse('2025-03-01T12:00:30.000Z') },
      },
      {
        case: 'FULL drops until',
        body: { mode: 'FULL', until: '2025-02-28T23:59:59.999Z' },
        expected: { mode: 'FULL', validUntil: Date.parse('2025-03-01T12:00:30.000Z') },
      },
      {
        case: 'exactly 100 windows',
        body: { mode: 'FULL', read_windows: Array.from({ length: 100 }, () => ({ end: '2025-01-31T23:59:59.999Z' })) },
        expected: {
          mode: 'FULL',
          readWindows: Array.from({ length: 100 }, () => ({ end: Date.parse('2025-01-31T23:59:59.999Z') })),
          validUntil: Date.parse('2025-03-01T12:00:30.000Z'),
        },
      },
    ])('parses $case', async ({ body, expected }) => {
      const { provider } = createProvider(json(body));

      const decision = await provider.canReadChannel('user-1', 'ch_1');

      expect(decision).toStrictEqual(expected);
    });
  });

  describe('cache', () => {
    it('reuses a decision within cacheSeconds', async () => {
      const { provider, requests, at } = createProvider(json({ mode: 'FULL' }));
      await provider.canReadChannel('user-1', 'ch_1');

      at(29_999);
      const cached = await provider.canReadChannel('user-1', 'ch_1');

      expect(requests).toHaveLength(1);
      expect(cached).toEqual({ mode: 'FULL', validUntil: Date.parse('2025-03-01T12:00:30.000Z') });
    });

    it('asks again at cacheSeconds', async () => {
      const { provider, requests, at } = createProvider(json({ mode: 'FULL' }));
      await provider.canReadChannel('user-1', 'ch_1');

      at(30_000);
      const fresh = await provider.canReadChannel('user-1', 'ch_1');

      expect(requests).toHaveLength(2);
      expect(fresh).toEqual({ mode: 'FULL', validUntil: Date.parse('2025-03-01T12:01:00.000Z') });
    });

    it('honours a shorter cacheSeconds', async () => {
      const { provider } = createProvider(json({ mode: 'FULL' }), { cacheSeconds: 5 });

      const decision = await provider.canReadChannel('user-1', 'ch_1');

      expect(decision.validUntil).toBe(Date.parse('2025-03-01T12:00:05.000Z'));
    });

    it.each([
      { case: 'window end 5 s ahead', body: { mode: 'FULL', read_windows: [{ end: '2025-03-01T12:00:05.000Z' }] }, expected: '2025-03-01T12:00:05.001Z' },
      { case: 'window start 10 s ahead', body: { mode: 'FULL', read_windows: [{ start: '2025-03-01T12:00:10.000Z' }] }, expected: '2025-03-01T12:00:10.000Z' },
      { case: 'until 3 s ahead', body: { mode: 'ARCHIVE_UNTIL', until: '2025-03-01T12:00:03.000Z' }, expected: '2025-03-01T12:00:03.001Z' },
      {
        case: 'earliest edge',
        body: { mode: 'FULL', read_windows: [{ start: '2025-03-01T12:00:20.000Z' }, { end: '2025-03-01T12:00:07.499Z' }, { end: '2025-01-31T23:59:59.999Z' }] },
        expected: '2025-03-01T12:00:07.500Z',
      },
      { case: 'edges in the past', body: { mode: 'FULL', read_windows: [{ end: '2025-01-31T23:59:59.999Z' }, { start: '2025-02-13T00:00:00.000Z' }] }, expected: '2025-03-01T12:00:30.000Z' },
      { case: 'edge beyond the cache', body: { mode: 'FULL', read_windows: [{ end: '2025-03-01T12:05:00.000Z' }] }, expected: '2025-03-01T12:00:30.000Z' },
    ])('stops at $case', async ({ body, expected }) => {
      const { provider } = createProvider(json(body));

      const decision = await provider.canReadChannel('user-1', 'ch_1');

      expect(decision.validUntil).toBe(Date.parse(expected));
    });

    it('asks again after a window edge', async () => {
      const { provider, requests, at } = createProvider(json({ mode: 'FULL', read_windows: [{ end: '2025-03-01T12:00:05.000Z' }] }));
      await provider.canReadChannel('user-1', 'ch_1');

      at(5_000);
      await provider.canReadChannel('user-1', 'ch_1');
      const requestsAtEdge = requests.length;
      at(6_000);
      await provider.canReadChannel('user-1', 'ch_1');

      expect(requestsAtEdge).toBe(1);
      expect(requests).toHaveLength(2);
    });

    it('asks again after until', async () => {
      const { provider, requests, at } = createProvider(json({ mode: 'ARCHIVE_UNTIL', until: '2025-03-01T12:00:03.000Z' }));
      await provider.canReadChannel('user-1', 'ch_1');

      at(4_000);
      await provider.canReadChannel('user-1', 'ch_1');

      expect(requests).toHaveLength(2);
    });

    it('keys by user and channel', async () => {
      const { provider, requests } = createProvider(json({ mode: 'FULL' }));

      await provider.canReadChannel('user-1', 'ch_1');
      await provider.canReadChannel('user-2', 'ch_1');
      await provider.canReadChannel('user-1', 'ch_2');
      await provider.canReadChannel('user-1', 'ch_1');

      expect(requests.map((request) => request.init.body)).toEqual([
        '{"user_id":"user-1","channel_id":"ch_1"}',
        '{"user_id":"user-2","channel_id":"ch_1"}',
        '{"user_id":"user-1","channel_id":"ch_2"}',
      ]);
    });

    it('never caches a failure', async () => {
      const statuses = [500, 200];
      const { provider, requests } = createProvider(async () => new Response('{"mode":"FULL"}', { status: statuses[requests.length - 1] ?? 200 }));
      const failure = await rejectionOf(provider.canReadChannel('user-1', 'ch_1'));

      const decision = await provider.canReadChannel('user-1', 'ch_1');

      expect(failure).toBeInstanceOf(AccessUnavailableError);
      expect(decision).toEqual({ mode: 'FULL', validUntil: Date.parse('2025-03-01T12:00:30.000Z') });
      expect(requests).toHaveLength(2);
    });
  });

  describe('fails closed', () => {
    it.each<{ case: string; responder: Responder; message: string }>([
      { case: 'HTTP 500', responder: raw('{"mode":"FULL"}', 500), message: UNAVAILABLE },
      { case: 'HTTP 503', responder: raw('{"mode":"FULL"}', 503), message: UNAVAILABLE },
      { case: 'HTTP 404', responder: raw('{"mode":"FULL"}', 404), message: UNAVAILABLE },
      { case: 'HTTP 403', responder: raw('{"mode":"FULL"}', 403), message: UNAVAILABLE },
      { case: 'HTTP 204 without body', responder: raw(null, 204), message: UNAVAILABLE },
      { case: 'network error', responder: () => Promise.reject(new TypeError('fetch failed')), message: UNAVAILABLE },
      { case: 'malformed JSON', responder: raw('{"mode":'), message: UNAVAILABLE },
      { case: 'empty body', responder: raw(''), message: UNAVAILABLE },
      { case: 'unknown mode', responder: json({ mode: 'MAYBE' }), message: INVALID },
      { case: 'lower-case mode', responder: json({ mode: 'full' }), message: INVALID },
      { case: 'missing mode', responder: json({ read_windows: [] }), message: INVALID },
      { case: 'JSON null', responder: json(null), message: INVALID },
      { case: 'JSON array', responder: json([{ mode: 'FULL' }]), message: INVALID },
      { case: 'ARCHIVE_UNTIL without until', responder: json({ mode: 'ARCHIVE_UNTIL' }), message: INVALID },
      { case: 'ARCHIVE_UNTIL with null until', responder: json({ mode: 'ARCHIVE_UNTIL', until: null }), message: INVALID },
      { case: 'until not ISO', responder: json({ mode: 'ARCHIVE_UNTIL', until: 'yesterday' }), message: INVALID },
      { case: 'until without offset', responder: json({ mode: 'ARCHIVE_UNTIL', until: '2025-03-01T12:00:00' }), message: INVALID },
      { case: 'date-only window end', responder: json({ mode: 'FULL', read_windows: [{ end: '2025-03-01' }] }), message: INVALID },
      { case: 'window start as number', responder: json({ mode: 'FULL', read_windows: [{ start: 1740830400000 }] }), message: INVALID },
      { case: 'windows not an array', responder: json({ mode: 'FULL', read_windows: { start: '2025-02-13T00:00:00.000Z' } }), message: INVALID },
      {
        case: '101 windows',
        responder: json({ mode: 'FULL', read_windows: Array.from({ length: 101 }, () => ({ end: '2025-01-31T23:59:59.999Z' })) }),
        message: INVALID,
      },
    ])('on $case', async ({ responder, message }) => {
      const { provider } = createProvider(responder);

      const error = await rejectionOf(provider.canReadChannel('user-1', 'ch_1'));

      expect(error).toBeInstanceOf(AccessUnavailableError);
      expect(error).toMatchObject({ status: 503, code: 'access_unavailable', message });
    });

    it('on timeout', async () => {
      const hang: Responder = ({ init }) =>
        new Promise((_, reject) => {
          init.signal?.addEventListener('abort', () => reject(init.signal?.reason));
        });
      const { provider } = createProvider(hang, { timeoutMs: 20 });

      const error = await rejectionOf(provider.canReadChannel('user-1', 'ch_1'));

      expect(error).toBeInstanceOf(AccessUnavailableError);
      expect(error).toMatchObject({ message: UNAVAILABLE, cause: expect.objectContaining({ name: 'TimeoutError' }) });
    });

    it('logs without the secret', async () => {
      const logLines: string[] = [];
      const { provider, requests } = createProvider(raw('{"mode":"FULL"}', 500), { logLines });

      await rejectionOf(provider.canReadChannel('user-1', 'ch_1'));

      expect(logLines).toHaveLength(1);
      expect(JSON.parse(logLines[0] ?? '')).toMatchObject({
        level: 'warn',
        message: 'Access provider request failed',
        userId: 'user-1',
        channelId: 'ch_1',
        errorMessage: 'access provider returned HTTP 500',
      });
      const signature = (requests[0]?.init.headers as Record<string, string>)['x-comm-signature'] ?? '';
      expect(logLines[0]).not.toContain(SECRET);
      expect(logLines[0]).not.toContain(signature.slice(3));
    });
  });
});
