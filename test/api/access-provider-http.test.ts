import { createHmac } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.js';

const PROVIDER_SECRET = 'integration-provider-secret';
/** The stack's clock is frozen, so published_at and the signed timestamp are fixed. */
const NOW = Date.parse('2025-03-01T12:00:00.000Z');
const NOW_SECONDS = '1740830400';
/** Provider request timeout of the handlers, in ms. */
const PROVIDER_TIMEOUT_MS = 300;
/** Five times the timeout, so the slow case cannot pass by racing it. */
const SLOW_DELAY_MS = 1_500;
/** Paid content that must never appear in an error response. */
const POST_BODY = 'PAID-7f3a: buy ACME at the open';

const UNAVAILABLE = 'The access provider is unavailable; try again shortly';
const INVALID = 'The access provider returned an invalid decision; try again shortly';

/** What the fake provider does, chosen by the user id's prefix before the first dot. */
type Behaviour = 'full' | 'slow' | 'error' | 'malformed' | 'maybe';

interface ProviderRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

interface FakeProvider {
  readonly url: string;
  readonly requests: ProviderRequest[];
  close(): Promise<void>;
}

/** Starts a decision endpoint on 127.0.0.1 that replies according to the user id and records every request. */
async function startFakeProvider(): Promise<FakeProvider> {
  const requests: ProviderRequest[] = [];
  const pendingTimers = new Set<NodeJS.Timeout>();

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ method: request.method ?? '', path: request.url ?? '', headers: request.headers, body });

      const userId = String((JSON.parse(body) as { user_id?: unknown }).user_id);
      const behaviour = userId.split('.')[0] as Behaviour;
      const reply = (status: number, text: string): void => {
        response.writeHead(status, { 'content-type': 'application/json' });
        response.end(text);
      };

      switch (behaviour) {
        case 'full':
          reply(200, '{"mode":"FULL"}');
          break;
        case 'slow': {
          const timer = setTimeout(() => {
            pendingTimers.delete(timer);
            reply(200, '{"mode":"FULL"}');
          }, SLOW_DELAY_MS);
          pendingTimers.add(timer);
          break;
        }
        case 'error':
          reply(500, '{"message":"internal error"}');
          break;
        case 'malformed':
          reply(200, '{"mode":');
          break;
        case 'maybe':
          reply(200, '{"mode":"MAYBE"}');
          break;
        default:
          reply(400, '{"message":"unknown test user"}');
      }
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}/decide`,
    requests,
    close: async () => {
      for (const timer of pendingTimers) clearTimeout(timer);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function expectedSignature(timestamp: string, body: string): string {
  return `v1=${createHmac('sha256', PROVIDER_SECRET).update(`${timestamp}.${body}`).digest('hex')}`;
}

describe('HTTP access provider on reader routes', () => {
  let provider: FakeProvider;
  let stack: TestStack;
  let channelId: string;
  let postId: string;

  const routes = {
    feed: () => `/api/mobile/channels/${channelId}/posts`,
    post: () => `/api/mobile/channels/${channelId}/posts/${postId}`,
    channel: () => `/api/mobile/channels/${channelId}`,
  } as const;

  beforeAll(async () => {
    provider = await startFakeProvider();
    stack = await startTestStack({
      accessProviderUrl: provider.url,
      accessProviderSecret: PROVIDER_SECRET,
      clock: () => NOW,
      // The breaker would fail later cases fast without asking the provider; its own tests cover it.
      environment: { ACCESS_PROVIDER_TIMEOUT_MS: String(PROVIDER_TIMEOUT_MS), ACCESS_PROVIDER_CACHE_SECONDS: '30', ACCESS_PROVIDER_CIRCUIT_FAILURES: '0' },
    });
    const admin = stack.token('admin', { admin: true });

    const channel = await stack.request('POST', '/api/admin/channels', { token: admin, body: { title: 'Signals' } });
    expect(channel.status).toBe(201);
    channelId = channel.body.id as string;
    const post = await stack.request('POST', `/api/admin/channels/${channelId}/posts`, {
      token: admin,
      body: { body_text: POST_BODY },
      headers: { 'idempotency-key': 'provider-test-post' },
    });
    expect(post.status).toBe(201);
    postId = post.body.id as string;
  });

  afterAll(async () => {
    await stack?.stop();
    await provider?.close();
  });

  function publishedPost() {
    return {
      id: postId,
      channel_id: channelId,
      seq: 1,
      published_at: '2025-03-01T12:00:00.000Z',
      author_id: 'admin',
      body_text: POST_BODY,
      attachments: [],
      edited_at: null,
      version: 1,
      is_deleted: false,
    };
  }

  it('admin reads without the provider', async () => {
    const response = await stack.request('GET', routes.feed(), { token: stack.token('admin', { admin: true }) });

    expect(response.status).toBe(200);
    expect(response.body.posts).toEqual([publishedPost()]);
    expect(provider.requests.filter((request) => JSON.parse(request.body).user_id === 'admin')).toEqual([]);
  });

  it('FULL reader gets the post', async () => {
    const token = stack.token('full.reader');

    const feed = await stack.request('GET', routes.feed(), { token });
    const post = await stack.request('GET', routes.post(), { token });
    const channel = await stack.request('GET', routes.channel(), { token });

    expect(feed.status).toBe(200);
    expect(feed.body).toEqual({ posts: [publishedPost()], next_after_seq: 1, has_more: false, last_seq: 1 });
    expect(post.status).toBe(200);
    expect(post.body).toEqual(publishedPost());
    expect(channel.status).toBe(200);
    expect(channel.body).toEqual({ id: channelId, title: 'Signals', description: '', last_seq: 1, access: { mode: 'FULL' } });
    const received = provider.requests.filter((request) => JSON.parse(request.body).user_id === 'full.reader');
    expect(received).toHaveLength(1);
  });

  it('signs the provider request', async () => {
    const response = await stack.request('GET', routes.channel(), { token: stack.token('full.signed') });

    expect(response.status).toBe(200);
    const [request, ...others] = provider.requests.filter((recorded) => JSON.parse(recorded.body).user_id === 'full.signed');
    expect(others).toEqual([]);
    expect(request?.method).toBe('POST');
    expect(request?.path).toBe('/decide');
    expect(request?.headers['content-type']).toBe('application/json');
    expect(JSON.parse(request?.body ?? '')).toEqual({ user_id: 'full.signed', channel_id: channelId });
    expect(request?.headers['x-comm-timestamp']).toBe(NOW_SECONDS);
    expect(request?.headers['x-comm-signature']).toBe(expectedSignature(NOW_SECONDS, request?.body ?? ''));
  });

  const failures: { failure: string; behaviour: Behaviour; message: string }[] = [
    { failure: 'timeout', behaviour: 'slow', message: UNAVAILABLE },
    { failure: 'HTTP 500', behaviour: 'error', message: UNAVAILABLE },
    { failure: 'malformed JSON', behaviour: 'malformed', message: UNAVAILABLE },
    { failure: 'unknown mode', behaviour: 'maybe', message: INVALID },
  ];
  const cases = failures.flatMap((failure) => (Object.keys(routes) as (keyof typeof routes)[]).map((route) => ({ ...failure, route })));

  it.each(cases)('$route on $failure is 503', async ({ behaviour, route, message }) => {
    const userId = `${behaviour}.${route}`;

    const response = await stack.request('GET', routes[route](), { token: stack.token(userId) });

    expect(response.status).toBe(503);
    expect(response.headers.get('content-type')).toBe('application/json');
    expect(JSON.parse(response.text)).toEqual({ error: { code: 'access_unavailable', message } });
    expect(response.text).not.toContain(POST_BODY);
    const received = provider.requests.filter((request) => JSON.parse(request.body).user_id === userId);
    expect(received).toHaveLength(1);
    expect(received[0]?.headers['x-comm-signature']).toBe(expectedSignature(NOW_SECONDS, received[0]?.body ?? ''));
  });
});
