import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headObject } from '../../lambdas/adapters/media-store.js';
import { attachmentKey } from '../../lambdas/domain/media.js';
import { mediaFor } from '../../lambdas/media/media-for.js';
import { freePort } from '../../local/dynamodb-local.js';
import { createChannel, grantOpenPeriod, publishWithAttachments, requestDownloadUrl, s3Error, uploadAttachment } from '../support/media.js';
import { startTestStack, type TestStack } from '../support/stack.js';

const PDF = Buffer.from('%PDF-1.4 paid research note');
/** A channel whose readers see nothing published before their first period starts. */
const NO_BACKFILL_POLICY = { initial_backfill_days: 0, resubscribe_backfill_days: 0, keep_archive_after_lapse: true };

describe('POST /api/mobile/channels/{channelId}/posts/{postId}/attachments/{attachmentId}/url', () => {
  let stack: TestStack;
  let admin: string;
  let channelId: string;
  let postId: string;
  let attachmentId: string;

  beforeAll(async () => {
    stack = await startTestStack();
    admin = stack.token('admin-1', { admin: true });
    channelId = await createChannel(stack, admin, { title: 'Research', access_policy: NO_BACKFILL_POLICY });
    attachmentId = await uploadAttachment(stack, admin, channelId, { fileName: 'note.pdf', contentType: 'application/pdf', bytes: PDF });
    const post = await stack.request('POST', `/api/admin/channels/${channelId}/posts/import`, {
      token: admin,
      body: { body_text: 'Archived note', published_at: '2021-01-01T00:00:00.000Z', attachment_ids: [attachmentId] },
    });
    expect(post.status, post.text).toBe(201);
    postId = post.body.id;
    const late = await stack.request('PUT', `/api/admin/access/${channelId}/users/late-subscriber`, {
      token: admin,
      body: { periods: [{ start: '2022-01-01T00:00:00Z', end: null }] },
    });
    expect(late.status, late.text).toBe(200);
  });

  afterAll(async () => {
    await stack.stop();
  });

  it('answers 403 to a reader outside the post window', async () => {
    const response = await requestDownloadUrl(stack, stack.token('late-subscriber'), channelId, postId, attachmentId);

    expect(response.status).toBe(403);
    expect(response.body).toEqual({ error: { code: 'forbidden', message: `Post ${postId} is outside your read windows` } });
  });

  it('answers 403 to a denied reader', async () => {
    const response = await requestDownloadUrl(stack, stack.token('no-subscription'), channelId, postId, attachmentId);

    expect(response.status).toBe(403);
    expect(response.body).toEqual({ error: { code: 'forbidden', message: `You have no read access to channel ${channelId}` } });
  });

  it('answers 404 to an attachment not on the post', async () => {
    const response = await requestDownloadUrl(stack, admin, channelId, postId, 'att_0000000000000000');

    expect(response.status).toBe(404);
    expect(response.body).toEqual({ error: { code: 'not_found', message: `Attachment att_0000000000000000 does not exist on post ${postId}` } });
  });

  it('answers 400 to a malformed attachment id', async () => {
    const response = await requestDownloadUrl(stack, admin, channelId, postId, 'note.pdf');

    expect(response.status).toBe(400);
    expect(response.body.error.message.startsWith('attachmentId: '), response.body.error.message).toBe(true);
    expect(response.body).not.toHaveProperty('url');
  });

  it('stops serving a deleted post at once', async () => {
    const fileId = await uploadAttachment(stack, admin, channelId, { fileName: 'deleted.pdf', contentType: 'application/pdf', bytes: PDF });
    const post = await publishWithAttachments(stack, admin, channelId, [fileId], 'to-delete');
    expect(post.status, post.text).toBe(201);
    await grantOpenPeriod(stack, admin, channelId, 'reader');
    const reader = stack.token('reader');
    const issuedBefore = await requestDownloadUrl(stack, reader, channelId, post.body.id, fileId);
    expect(issuedBefore.status, issuedBefore.text).toBe(200);

    const deleted = await stack.request('DELETE', `/api/admin/channels/${channelId}/posts/${post.body.id}`, { token: admin });

    expect(deleted.status).toBe(200);
    expect(deleted.body.attachments).toEqual([]);
    const issuedAfter = await requestDownloadUrl(stack, reader, channelId, post.body.id, fileId);
    expect(issuedAfter.status).toBe(404);
    expect(issuedAfter.body).toEqual({ error: { code: 'not_found', message: `Attachment ${fileId} does not exist on post ${post.body.id}` } });
    const { s3, settings } = mediaFor(stack.app);
    expect(await headObject(s3, settings, attachmentKey(channelId, fileId))).toBeUndefined();
    // s3rver returns 404 NoSuchKey. S3 returns 403 instead when the signer lacks s3:ListBucket.
    const oldUrl = await fetch(issuedBefore.body.url);
    expect(oldUrl.status).toBe(404);
    expect(s3Error(await oldUrl.text()).code).toBe('NoSuchKey');
  });
});

describe('attachment URL with an unreachable provider', () => {
  let stack: TestStack;
  let admin: string;
  let channelId: string;
  let postId: string;
  let attachmentId: string;

  beforeAll(async () => {
    // Nothing listens on a port the OS just handed out and took back, so the provider call is refused.
    const closedPort = await freePort();
    stack = await startTestStack({ accessProviderUrl: `http://127.0.0.1:${closedPort}/decide`, environment: { ACCESS_PROVIDER_TIMEOUT_MS: '200' } });
    admin = stack.token('admin-1', { admin: true });
    channelId = await createChannel(stack, admin);
    attachmentId = await uploadAttachment(stack, admin, channelId, { fileName: 'note.pdf', contentType: 'application/pdf', bytes: PDF });
    const post = await publishWithAttachments(stack, admin, channelId, [attachmentId], 'provider-down');
    expect(post.status, post.text).toBe(201);
    postId = post.body.id;
  });

  afterAll(async () => {
    await stack.stop();
  });

  it('answers 503 access_unavailable without a URL', async () => {
    const response = await requestDownloadUrl(stack, stack.token('alice'), channelId, postId, attachmentId);

    expect(response.status).toBe(503);
    expect(response.body).toEqual({ error: { code: 'access_unavailable', message: 'The access provider is unavailable; try again shortly' } });
  });
});
