import { describe, expect, it } from 'vitest';
import { createChannel, grantOpenPeriod, publishWithAttachments, requestDownloadUrl, uploadAttachment } from '../support/media.js';
import { startTestStack } from '../support/stack.js';

describe('media configuration at start-up', () => {
  it.each([
    { value: '301', message: 'Invalid environment variable MEDIA_URL_SECONDS=301: download URLs may live at most 300 seconds' },
    { value: '3600', message: 'Invalid environment variable MEDIA_URL_SECONDS=3600: download URLs may live at most 300 seconds' },
    { value: '0', message: 'Invalid environment variable MEDIA_URL_SECONDS="0": expected a positive integer' },
    { value: '1.5', message: 'Invalid environment variable MEDIA_URL_SECONDS="1.5": expected a positive integer' },
  ])('rejects MEDIA_URL_SECONDS=$value', async ({ value, message }) => {
    const starting = startTestStack({ environment: { MEDIA_URL_SECONDS: value } });

    await expect(starting).rejects.toThrow(message);
  });

  it('rejects an empty MEDIA_BUCKET', async () => {
    const starting = startTestStack({ environment: { MEDIA_BUCKET: '' } });

    await expect(starting).rejects.toThrow('Missing environment variable MEDIA_BUCKET: set it to the private media bucket name');
  });

  it('signs URLs for 300 seconds at the limit', async () => {
    const stack = await startTestStack({ environment: { MEDIA_URL_SECONDS: '300', MEDIA_BUCKET: 'limit-bucket' } });
    try {
      const admin = stack.token('admin-1', { admin: true });
      const channelId = await createChannel(stack, admin);
      const attachmentId = await uploadAttachment(stack, admin, channelId, { fileName: 'a.pdf', contentType: 'application/pdf', bytes: Buffer.from('pdf') });
      const post = await publishWithAttachments(stack, admin, channelId, [attachmentId], 'limit');
      await grantOpenPeriod(stack, admin, channelId, 'alice');

      const response = await requestDownloadUrl(stack, stack.token('alice'), channelId, post.body.id, attachmentId);

      expect(response.status).toBe(200);
      expect(stack.mediaBucket).toBe('limit-bucket');
      const url = new URL(response.body.url);
      expect(url.pathname.startsWith('/limit-bucket/')).toBe(true);
      expect(url.searchParams.get('X-Amz-Expires')).toBe('300');
    } finally {
      await stack.stop();
    }
  });
});
