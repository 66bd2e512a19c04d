import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { headObject } from '../../lambdas/adapters/media-store.js';
import { attachmentKey } from '../../lambdas/domain/media.js';
import { mediaFor } from '../../lambdas/media/media-for.js';
import { createChannel, publishWithAttachments, requestUpload, s3Error, snapshotTables, uploadAttachment } from '../support/media.js';
import { startTestStack, type TestStack } from '../support/stack.js';

/** MEDIA_MAX_UPLOAD_BYTES for this file: small, so the limit is cheap to cross. */
const MAX_UPLOAD_BYTES = 1024;
const PDF = Buffer.from('%PDF-1.4 stand-in for a small report');

interface BadUpload {
  readonly name: string;
  readonly body: Record<string, unknown>;
  /** The field the 400 must name. */
  readonly field: string;
}

const BAD_UPLOADS: BadUpload[] = [
  { name: 'type outside the allow-list', body: { file_name: 'page.html', content_type: 'text/html', size: 10 }, field: 'content_type' },
  { name: 'size over the limit', body: { file_name: 'big.pdf', content_type: 'application/pdf', size: MAX_UPLOAD_BYTES + 1 }, field: 'size' },
  { name: 'zero size', body: { file_name: 'empty.pdf', content_type: 'application/pdf', size: 0 }, field: 'size' },
  { name: 'parent-directory name', body: { file_name: '../x.pdf', content_type: 'application/pdf', size: 10 }, field: 'file_name' },
  { name: 'name with a slash', body: { file_name: 'a/b.pdf', content_type: 'application/pdf', size: 10 }, field: 'file_name' },
  { name: 'name with a backslash', body: { file_name: '..\\x.pdf', content_type: 'application/pdf', size: 10 }, field: 'file_name' },
  { name: 'hidden-file name', body: { file_name: '.hidden', content_type: 'application/pdf', size: 10 }, field: 'file_name' },
  { name: 'empty name', body: { file_name: '', content_type: 'application/pdf', size: 10 }, field: 'file_name' },
  { name: 'name with a control character', body: { file_name: 'a\nb.pdf', content_type: 'application/pdf', size: 10 }, field: 'file_name' },
  { name: 'unknown field', body: { file_name: 'a.pdf', content_type: 'application/pdf', size: 10, key: 'channels/x' }, field: 'key' },
];

interface BadPut {
  readonly name: string;
  readonly headers: (signed: Record<string, string>) => Record<string, string>;
  readonly body: Buffer;
  readonly code: string;
}

const BAD_PUTS: BadPut[] = [
  { name: 'a longer body', headers: (signed) => ({ 'content-type': signed['content-type']! }), body: Buffer.concat([PDF, Buffer.from('!')]), code: 'SignatureDoesNotMatch' },
  { name: 'a shorter body', headers: (signed) => ({ 'content-type': signed['content-type']! }), body: PDF.subarray(1), code: 'SignatureDoesNotMatch' },
  { name: 'another content type', headers: (signed) => ({ ...signed, 'content-type': 'text/html' }), body: PDF, code: 'SignatureDoesNotMatch' },
  { name: 'an unsigned metadata header', headers: (signed) => ({ ...signed, 'x-amz-meta-file-name': 'evil.html' }), body: PDF, code: 'AccessDenied' },
];

describe('POST /api/admin/channels/{channelId}/uploads', () => {
  let stack: TestStack;
  let admin: string;
  let channelId: string;

  beforeAll(async () => {
    stack = await startTestStack({ environment: { MEDIA_MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES) } });
    admin = stack.token('admin-1', { admin: true });
    channelId = await createChannel(stack, admin);
  });

  afterAll(async () => {
    await stack.stop();
  });

  async function storedObject(attachmentId: string, inChannel = channelId) {
    const { s3, settings } = mediaFor(stack.app);
    return headObject(s3, settings, attachmentKey(inChannel, attachmentId));
  }

  it.each(BAD_UPLOADS)('answers 400 to a $name', async ({ body, field }) => {
    const response = await stack.request('POST', `/api/admin/channels/${channelId}/uploads`, { token: admin, body });

    expect(response.status).toBe(400);
    expect(response.body.error.code).toBe('invalid_request');
    expect(response.body.error.message.startsWith(`${field}: `), response.body.error.message).toBe(true);
  });

  it('issues a URL for exactly the size limit', async () => {
    const upload = await requestUpload(stack, admin, channelId, { fileName: 'limit.pdf', contentType: 'application/pdf', size: MAX_UPLOAD_BYTES });

    expect(upload.attachment_id).toMatch(/^att_[0-9a-f]{16}$/);
    expect(upload.headers).toEqual({ 'content-type': 'application/pdf', 'content-length': String(MAX_UPLOAD_BYTES) });
    const url = new URL(upload.upload_url);
    expect(url.pathname).toBe(`/${stack.mediaBucket}/channels/${channelId}/attachments/${upload.attachment_id}`);
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('content-length;content-type;host');
  });

  it('rejects an upload by a non-admin', async () => {
    const response = await stack.request('POST', `/api/admin/channels/${channelId}/uploads`, {
      token: stack.token('mallory'),
      body: { file_name: 'a.pdf', content_type: 'application/pdf', size: 10 },
    });

    expect(response.status).toBe(403);
    expect(response.body.error.code).toBe('forbidden');
    expect(response.body).not.toHaveProperty('upload_url');
  });

  it('stores the bytes under the channel prefix', async () => {
    const attachmentId = await uploadAttachment(stack, admin, channelId, { fileName: 'Résumé 2026.pdf', contentType: 'application/pdf', bytes: PDF });

    expect(await storedObject(attachmentId)).toEqual({ contentType: 'application/pdf', size: PDF.length, fileName: 'Résumé 2026.pdf' });
  });

  it.each(BAD_PUTS)('rejects a PUT with $name', async ({ headers, body, code }) => {
    const upload = await requestUpload(stack, admin, channelId, { fileName: 'report.pdf', contentType: 'application/pdf', size: PDF.length });

    const response = await fetch(upload.upload_url, { method: 'PUT', headers: headers(upload.headers), body });

    expect(response.status).toBe(403);
    expect(s3Error(await response.text()).code).toBe(code);
    expect(await storedObject(upload.attachment_id)).toBeUndefined();
  });

  it('publishes a post with its uploads', async () => {
    const first = await uploadAttachment(stack, admin, channelId, { fileName: 'one.pdf', contentType: 'application/pdf', bytes: PDF });
    const second = await uploadAttachment(stack, admin, channelId, { fileName: 'two.png', contentType: 'image/png', bytes: Buffer.from('png') });

    const response = await publishWithAttachments(stack, admin, channelId, [second, first], 'two-files');

    expect(response.status).toBe(201);
    expect(response.body.attachments).toEqual([
      { id: second, file_name: 'two.png', content_type: 'image/png', size: 3 },
      { id: first, file_name: 'one.pdf', content_type: 'application/pdf', size: PDF.length },
    ]);
  });

  it('rejects publishing an attachment never uploaded', async () => {
    const uploaded = await uploadAttachment(stack, admin, channelId, { fileName: 'one.pdf', contentType: 'application/pdf', bytes: PDF });
    const notUploaded = await requestUpload(stack, admin, channelId, { fileName: 'two.pdf', contentType: 'application/pdf', size: PDF.length });
    const before = await snapshotTables(stack);

    const alone = await publishWithAttachments(stack, admin, channelId, [notUploaded.attachment_id], 'missing-alone');
    const second = await publishWithAttachments(stack, admin, channelId, [uploaded, notUploaded.attachment_id], 'missing-second');

    expect(alone.status).toBe(400);
    expect(alone.body.error.code).toBe('invalid_request');
    expect(alone.body.error.message).toBe(`attachment_ids.0: was never uploaded to channel ${channelId}; request an upload URL and PUT the file first`);
    expect(second.status).toBe(400);
    expect(second.body.error.message.startsWith('attachment_ids.1: '), second.body.error.message).toBe(true);
    expect(await snapshotTables(stack)).toEqual(before);
  });

  it('rejects an attachment uploaded to another channel', async () => {
    const otherChannelId = await createChannel(stack, admin, { title: 'Other' });
    const foreign = await uploadAttachment(stack, admin, otherChannelId, { fileName: 'other.pdf', contentType: 'application/pdf', bytes: PDF });
    const before = await snapshotTables(stack);

    const response = await publishWithAttachments(stack, admin, channelId, [foreign], 'foreign-file');

    expect(response.status).toBe(400);
    expect(response.body.error.message).toBe(`attachment_ids.0: was never uploaded to channel ${channelId}; request an upload URL and PUT the file first`);
    expect(await snapshotTables(stack)).toEqual(before);
    expect(await storedObject(foreign, otherChannelId)).toEqual({ contentType: 'application/pdf', size: PDF.length, fileName: 'other.pdf' });
  });

  it('rejects an attachment another post carries', async () => {
    const uploaded = await uploadAttachment(stack, admin, channelId, { fileName: 'shared.pdf', contentType: 'application/pdf', bytes: PDF });
    const first = await publishWithAttachments(stack, admin, channelId, [uploaded], 'claims-first');
    const before = await snapshotTables(stack);

    const second = await publishWithAttachments(stack, admin, channelId, [uploaded], 'claims-second');

    expect(first.status).toBe(201);
    expect(second.status).toBe(400);
    expect(second.body.error.message).toBe('attachment_ids.0: is already attached to another post; upload the file again for a new post');
    expect(await snapshotTables(stack)).toEqual(before);
  });

  it('rejects an attachment listed twice', async () => {
    const uploaded = await uploadAttachment(stack, admin, channelId, { fileName: 'one.pdf', contentType: 'application/pdf', bytes: PDF });

    const response = await publishWithAttachments(stack, admin, channelId, [uploaded, uploaded], 'listed-twice');

    expect(response.status).toBe(400);
    expect(response.body.error.message).toBe('attachment_ids.1: is listed twice');
  });
});
