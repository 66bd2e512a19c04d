import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { expect } from 'vitest';
import { TABLES } from '../../lib/table-definitions.js';
import { parseAmzDate } from '../../local/sigv4-verifier.js';
import type { ApiResult, TestStack } from './stack.js';

/** What the uploads route returns. */
export interface IssuedUpload {
  readonly attachment_id: string;
  readonly upload_url: string;
  readonly headers: Record<string, string>;
  readonly expires_at: string;
}

/** Creates a channel as `admin` and returns its id. */
export async function createChannel(stack: TestStack, admin: string, body: Record<string, unknown> = { title: 'Media' }): Promise<string> {
  const response = await stack.request('POST', '/api/admin/channels', { token: admin, body });
  expect(response.status, response.text).toBe(201);
  return response.body.id as string;
}

/** Requests an upload URL and checks that it was issued. */
export async function requestUpload(stack: TestStack, admin: string, channelId: string, file: { fileName: string; contentType: string; size: number }): Promise<IssuedUpload> {
  const response = await stack.request('POST', `/api/admin/channels/${channelId}/uploads`, {
    token: admin,
    body: { file_name: file.fileName, content_type: file.contentType, size: file.size },
  });
  expect(response.status, response.text).toBe(201);
  return response.body as IssuedUpload;
}

/** Requests an upload URL and PUTs `bytes` with the returned headers, as a client does. Returns the attachment id. */
export async function uploadAttachment(stack: TestStack, admin: string, channelId: string, file: { fileName: string; contentType: string; bytes: Buffer }): Promise<string> {
  const upload = await requestUpload(stack, admin, channelId, { fileName: file.fileName, contentType: file.contentType, size: file.bytes.length });

  const put = await fetch(upload.upload_url, { method: 'PUT', headers: upload.headers, body: file.bytes });

  expect(put.status, await put.text()).toBe(200);
  return upload.attachment_id;
}

/** Publishes a post with attachments and returns the API result. */
export function publishWithAttachments(stack: TestStack, admin: string, channelId: string, attachmentIds: readonly string[], idempotencyKey: string): Promise<ApiResult> {
  return stack.request('POST', `/api/admin/channels/${channelId}/posts`, {
    token: admin,
    body: { body_text: 'See the attached files', attachment_ids: attachmentIds },
    headers: { 'idempotency-key': idempotencyKey },
  });
}

/** Gives `userId` one subscription period from 2020 with no end. */
export async function grantOpenPeriod(stack: TestStack, admin: string, channelId: string, userId: string): Promise<void> {
  const response = await stack.request('PUT', `/api/admin/access/${channelId}/users/${userId}`, {
    token: admin,
    body: { periods: [{ start: '2020-01-01T00:00:00Z', end: null }] },
  });
  expect(response.status, response.text).toBe(200);
}

/** Asks the URL route for a download URL. */
export function requestDownloadUrl(stack: TestStack, token: string, channelId: string, postId: string, attachmentId: string): Promise<ApiResult> {
  return stack.request('POST', `/api/mobile/channels/${channelId}/posts/${postId}/attachments/${attachmentId}/url`, { token });
}

/** Epoch ms of a presigned URL's X-Amz-Date. */
export function signedAt(url: string): number {
  const value = new URL(url).searchParams.get('X-Amz-Date') ?? '';
  const time = parseAmzDate(value);
  if (time === undefined) throw new Error(`The URL has no valid X-Amz-Date: "${value}"`);
  return time;
}

/**
 * Replaces (or, with `undefined`, removes) one query parameter in the raw
 * query string, leaving every other byte of the URL as the presigner wrote it.
 */
export function withParameter(url: string, name: string, value: string | undefined): string {
  const [base, query = ''] = url.split('?') as [string, string | undefined];
  const parameters = query.split('&').filter((parameter) => parameter.split('=')[0] !== encodeURIComponent(name));
  if (value !== undefined) parameters.push(`${encodeURIComponent(name)}=${encodeURIComponent(value)}`);
  return `${base}?${parameters.join('&')}`;
}

/** Extracts the `<Code>` and `<Message>` of an S3 XML error body. */
export function s3Error(xml: string): { code: string | undefined; message: string | undefined } {
  return { code: /<Code>([^<]*)<\/Code>/.exec(xml)?.[1], message: /<Message>([^<]*)<\/Message>/.exec(xml)?.[1] };
}

/** Scans every item of every table, so a test can show that a rejected request wrote nothing. */
export async function snapshotTables(stack: TestStack): Promise<Record<string, unknown[]>> {
  const entries = await Promise.all(
    TABLES.map(async (table) => {
      const { Items } = await stack.db.send(new ScanCommand({ TableName: stack.tables[table.id], ConsistentRead: true }));
      return [table.id, Items ?? []] as const;
    }),
  );
  return Object.fromEntries(entries);
}
