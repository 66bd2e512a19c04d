import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../support/stack.js';

interface PageBody {
  posts: { id: string; seq: number; body_text: string | null; is_deleted: boolean; attachments: unknown[]; version: number }[];
  next_after_seq?: number;
  next_before_seq?: number;
  has_more: boolean;
  last_seq: number;
}

describe('GET /api/mobile/channels/{channelId}/posts', () => {
  let stack: TestStack;
  let admin: string;
  let reader: string;
  let channelId: string;
  const postIds = new Map<number, string>();
  const deletedSeqs = [3, 4, 10, 17, 25];

  beforeAll(async () => {
    stack = await startTestStack();
    admin = stack.token('admin-1', { admin: true });
    reader = stack.token('reader-1');
    const channel = await stack.request('POST', '/api/admin/channels', { token: admin, body: { title: 'Feed' } });
    channelId = channel.body.id;
    await stack.request('PUT', `/api/admin/access/${channelId}/users/reader-1`, {
      token: admin,
      body: { periods: [{ start: '2020-01-01T00:00:00Z', end: null }] },
    });
    for (let seq = 1; seq <= 25; seq += 1) {
      const post = await stack.request('POST', `/api/admin/channels/${channelId}/posts`, {
        token: admin,
        body: { body_text: `post ${seq}` },
        headers: { 'idempotency-key': `feed-${seq}` },
      });
      postIds.set(seq, post.body.id);
    }
    for (const seq of deletedSeqs) {
      const deleted = await stack.request('DELETE', `/api/admin/channels/${channelId}/posts/${postIds.get(seq)}`, { token: admin });
      expect(deleted.status).toBe(200);
    }
  });

  afterAll(async () => {
    await stack.stop();
  });

  async function page(query: string): Promise<PageBody> {
    const response = await stack.request('GET', `/api/mobile/channels/${channelId}/posts?${query}`, { token: reader });
    expect(response.status).toBe(200);
    return response.body as PageBody;
  }

  it.each([1, 3, 7, 25, 100])('pages with after_seq and limit %i', async (limit) => {
    const seen: number[] = [];
    let afterSeq = 0;
    let pages = 0;

    for (;;) {
      const body = await page(`after_seq=${afterSeq}&limit=${limit}`);
      seen.push(...body.posts.map((post) => post.seq));
      pages += 1;
      if (!body.has_more) {
        expect(body.next_after_seq).toBe(25);
        break;
      }
      expect(body.next_after_seq).toBe(body.posts[body.posts.length - 1]?.seq);
      afterSeq = body.next_after_seq!;
    }

    expect(seen).toEqual(Array.from({ length: 25 }, (_, index) => index + 1));
    expect(pages).toBe(Math.ceil(25 / limit));
  });

  it('returns tombstones without content', async () => {
    const body = await page('after_seq=2&limit=2');

    expect(body.posts).toEqual([
      expect.objectContaining({ seq: 3, id: postIds.get(3), is_deleted: true, body_text: null, attachments: [] }),
      expect.objectContaining({ seq: 4, id: postIds.get(4), is_deleted: true, body_text: null, attachments: [] }),
    ]);
    expect(body.posts[0]!.version).toBe(2);
  });

  it('pages newest first with before_seq', async () => {
    const seen: number[] = [];
    let beforeSeq = 26;

    for (;;) {
      const body = await page(`before_seq=${beforeSeq}&limit=10`);
      seen.push(...body.posts.map((post) => post.seq));
      if (!body.has_more) {
        expect(body.next_before_seq).toBe(1);
        break;
      }
      beforeSeq = body.next_before_seq!;
    }

    expect(seen).toEqual(Array.from({ length: 25 }, (_, index) => 25 - index));
  });

  it('reports the end of the feed', async () => {
    const body = await page('after_seq=25');

    expect(body).toEqual({ posts: [], next_after_seq: 25, has_more: false, last_seq: 25 });
  });

  it('answers an exactly full last page without has_more', async () => {
    const body = await page('after_seq=20&limit=5');

    expect(body.posts.map((post) => post.seq)).toEqual([21, 22, 23, 24, 25]);
    expect(body.has_more).toBe(false);
    expect(body.next_after_seq).toBe(25);
  });

  it('serves one post by id', async () => {
    const response = await stack.request('GET', `/api/mobile/channels/${channelId}/posts/${postIds.get(5)}`, { token: reader });

    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      id: postIds.get(5),
      channel_id: channelId,
      seq: 5,
      published_at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      author_id: 'admin-1',
      body_text: 'post 5',
      attachments: [],
      edited_at: null,
      version: 1,
      is_deleted: false,
    });
  });

  it('answers 404 for an id with the wrong random part', async () => {
    const forged = postIds.get(5)!.replace(/_[0-9a-f]{16}$/, '_0000000000000000');

    const response = await stack.request('GET', `/api/mobile/channels/${channelId}/posts/${forged}`, { token: reader });

    expect(response.status).toBe(404);
    expect(response.body.error.code).toBe('not_found');
  });

  it('denies a user without periods', async () => {
    const stranger = stack.token('stranger');

    const feed = await stack.request('GET', `/api/mobile/channels/${channelId}/posts`, { token: stranger });
    const single = await stack.request('GET', `/api/mobile/channels/${channelId}/posts/${postIds.get(5)}`, { token: stranger });

    expect(feed.status).toBe(403);
    expect(feed.body.error.code).toBe('forbidden');
    expect(single.status).toBe(403);
    expect(single.text).not.toContain('post 5');
  });
});

describe('PATCH and DELETE /api/admin/channels/{channelId}/posts/{postId}', () => {
  let stack: TestStack;
  let admin: string;
  let channelId: string;

  beforeAll(async () => {
    stack = await startTestStack();
    admin = stack.token('admin-1', { admin: true });
    const channel = await stack.request('POST', '/api/admin/channels', { token: admin, body: { title: 'Edits', publisher_ids: ['analyst-1'] } });
    channelId = channel.body.id;
  });

  afterAll(async () => {
    await stack.stop();
  });

  async function publishAs(token: string, key: string) {
    return stack.request('POST', `/api/admin/channels/${channelId}/posts`, { token, body: { body_text: 'original' }, headers: { 'idempotency-key': key } });
  }

  it('edits keeping seq and bumping version', async () => {
    const post = await publishAs(admin, 'edit-1');

    const edited = await stack.request('PATCH', `/api/admin/channels/${channelId}/posts/${post.body.id}`, { token: admin, body: { body_text: 'corrected' } });

    expect(edited.status).toBe(200);
    expect(edited.body.seq).toBe(post.body.seq);
    expect(edited.body.version).toBe(2);
    expect(edited.body.body_text).toBe('corrected');
    expect(edited.body.edited_at).toMatch(/Z$/);
    const read = await stack.request('GET', `/api/mobile/channels/${channelId}/posts/${post.body.id}`, { token: admin });
    expect(read.body).toEqual(edited.body);
  });

  it('lets a channel publisher publish, edit and delete', async () => {
    const analyst = stack.token('analyst-1');

    const post = await publishAs(analyst, 'analyst-1');
    const edited = await stack.request('PATCH', `/api/admin/channels/${channelId}/posts/${post.body.id}`, { token: analyst, body: { body_text: 'v2' } });
    const deleted = await stack.request('DELETE', `/api/admin/channels/${channelId}/posts/${post.body.id}`, { token: analyst });

    expect(post.status).toBe(201);
    expect(edited.status).toBe(200);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatchObject({ id: post.body.id, seq: post.body.seq, is_deleted: true, body_text: null, attachments: [], version: 3 });
  });

  it('forbids other users', async () => {
    const post = await publishAs(admin, 'forbid-1');
    const outsider = stack.token('outsider');

    const publish = await publishAs(outsider, 'outsider-1');
    const edit = await stack.request('PATCH', `/api/admin/channels/${channelId}/posts/${post.body.id}`, { token: outsider, body: { body_text: 'x' } });
    const remove = await stack.request('DELETE', `/api/admin/channels/${channelId}/posts/${post.body.id}`, { token: outsider });

    expect([publish.status, edit.status, remove.status]).toEqual([403, 403, 403]);
    const read = await stack.request('GET', `/api/mobile/channels/${channelId}/posts/${post.body.id}`, { token: admin });
    expect(read.body.body_text).toBe('original');
  });

  it('refuses to edit a tombstone', async () => {
    const post = await publishAs(admin, 'tombstone-1');
    await stack.request('DELETE', `/api/admin/channels/${channelId}/posts/${post.body.id}`, { token: admin });

    const edit = await stack.request('PATCH', `/api/admin/channels/${channelId}/posts/${post.body.id}`, { token: admin, body: { body_text: 'revive' } });
    const again = await stack.request('DELETE', `/api/admin/channels/${channelId}/posts/${post.body.id}`, { token: admin });

    expect(edit.status).toBe(409);
    expect(edit.body.error.code).toBe('conflict');
    expect(again.status).toBe(200);
    expect(again.body.version).toBe(2);
  });
});
