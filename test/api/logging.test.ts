import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createChannel, grantOpenPeriod, publishWithAttachments, requestDownloadUrl, uploadAttachment } from '../support/media.js';
import { openSocket } from '../support/socket.js';
import { startTestStack, type TestStack } from '../support/stack.js';

const SECRET_BODY = 'confidential signal: buy ACME at 41.20';

describe('logs', () => {
  let stack: TestStack;
  const lines: string[] = [];

  beforeAll(async () => {
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(String(chunk));
      return true;
    });
    stack = await startTestStack({ logLevel: 'debug' });
  });

  afterAll(async () => {
    await stack.stop();
    vi.restoreAllMocks();
  });

  it('carry ids but no tokens, URLs or bodies', async () => {
    const admin = stack.token('admin-1', { admin: true });
    const reader = stack.token('reader-1');
    const channelId = await createChannel(stack, admin);
    await grantOpenPeriod(stack, admin, channelId, 'reader-1');
    const attachmentId = await uploadAttachment(stack, admin, channelId, { fileName: 'note.pdf', contentType: 'application/pdf', bytes: Buffer.from('%PDF-1.4 note') });
    const post = await publishWithAttachments(stack, admin, channelId, [attachmentId], 'log-check');
    await stack.request('PATCH', `/api/admin/channels/${channelId}/posts/${post.body.id}`, { token: admin, body: { body_text: SECRET_BODY } });
    const url = await requestDownloadUrl(stack, reader, channelId, post.body.id, attachmentId);
    const socket = await openSocket(stack.url, reader);
    await socket.request({ action: 'subscribe', channel_id: channelId }, 'subscribed');
    await socket.close();
    await stack.request('GET', '/api/mobile/channels', { token: 'not-a-token' });

    const output = lines.join('');
    expect(url.status).toBe(200);
    expect(output).toContain('"message":"Issued an attachment URL"');
    expect(output).toMatch(/"requestId":"[0-9a-f-]{36}"/);
    expect(output).toContain(`"attachmentId":"${attachmentId}"`);
    expect(output).not.toContain(url.body.url);
    expect(output).not.toContain('X-Amz-Signature');
    expect(output).not.toContain(admin);
    expect(output).not.toContain(reader);
    expect(output).not.toContain('eyJ');
    expect(output).not.toContain(SECRET_BODY);
  });
});
