import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createChannel,
  grantOpenPeriod,
  publishWithAttachments,
  requestDownloadUrl,
  s3Error,
  signedAt,
  uploadAttachment,
  withParameter,
} from '../support/media.js';
import { startTestStack, type TestStack } from '../support/stack.js';

/** The handlers' clock is frozen, so `expires_at` is exact; URL signatures and the S3 verifier use real time. */
const APP_NOW = Date.parse('2026-03-01T12:00:00.000Z');
/** MEDIA_URL_SECONDS' default. */
const URL_LIFETIME_MS = 60_000;
/** Binary bytes 0 to 199, so any re-encoding or truncation shows. */
const REPORT = Buffer.from(Array.from({ length: 200 }, (_, index) => index));
const CHART = Buffer.from('PNG stand-in: chart of the week');

interface Tamper {
  readonly name: string;
  /** Changes one signed part of a URL for the report; `chartId` names the post's other attachment. */
  readonly change: (url: string, ids: { reportId: string; chartId: string }) => string;
}

const TAMPERS: Tamper[] = [
  { name: 'x-comm-user value', change: (url) => withParameter(url, 'x-comm-user', 'bob') },
  { name: 'x-comm-user removal', change: (url) => withParameter(url, 'x-comm-user', undefined) },
  { name: 'object key', change: (url, { reportId, chartId }) => url.replace(`/attachments/${reportId}?`, `/attachments/${chartId}?`) },
  { name: 'X-Amz-Expires', change: (url) => withParameter(url, 'X-Amz-Expires', '300') },
  { name: 'response-content-disposition', change: (url) => withParameter(url, 'response-content-disposition', 'attachment; filename="invoice.html"') },
  { name: 'response-cache-control', change: (url) => withParameter(url, 'response-cache-control', 'public, max-age=31536000') },
  { name: 'X-Amz-Date', change: (url) => withParameter(url, 'X-Amz-Date', new Date(signedAt(url) + 1000).toISOString().replace(/[-:]|\.\d{3}/g, '')) },
  { name: 'signature', change: (url) => url.replace(/(X-Amz-Signature=[0-9a-f]*)([0-9a-f])/, (_, head: string, last: string) => `${head}${last === '0' ? '1' : '0'}`) },
  { name: 'added parameter', change: (url) => withParameter(url, 'x-comm-channel', 'another-channel') },
];

describe('attachment download URLs', () => {
  let stack: TestStack;
  let admin: string;
  let alice: string;
  let channelId: string;
  let postId: string;
  let reportId: string;
  let chartId: string;

  beforeAll(async () => {
    stack = await startTestStack({ clock: () => APP_NOW });
    admin = stack.token('admin-1', { admin: true });
    alice = stack.token('alice');
    channelId = await createChannel(stack, admin);
    reportId = await uploadAttachment(stack, admin, channelId, { fileName: 'Q1 report.pdf', contentType: 'application/pdf', bytes: REPORT });
    chartId = await uploadAttachment(stack, admin, channelId, { fileName: 'chart.png', contentType: 'image/png', bytes: CHART });
    const post = await publishWithAttachments(stack, admin, channelId, [reportId, chartId], 'post-with-files');
    expect(post.status, post.text).toBe(201);
    postId = post.body.id;
    await grantOpenPeriod(stack, admin, channelId, 'alice');
  });

  afterEach(() => {
    stack.s3.setClockOffset(0);
  });

  afterAll(async () => {
    await stack.stop();
  });

  /** Sets the S3 verifier's clock to `msAfterSigning` after the URL's X-Amz-Date. */
  function setS3ClockAfterSigning(url: string, msAfterSigning: number): void {
    stack.s3.setClockOffset(signedAt(url) + msAfterSigning - Date.now());
  }

  async function reportUrl(): Promise<string> {
    const response = await requestDownloadUrl(stack, alice, channelId, postId, reportId);
    expect(response.status, response.text).toBe(200);
    return response.body.url as string;
  }

  it('lists the attachments on the post', async () => {
    const response = await stack.request('GET', `/api/mobile/channels/${channelId}/posts/${postId}`, { token: alice });

    expect(response.status).toBe(200);
    expect(response.body.attachments).toEqual([
      { id: reportId, file_name: 'Q1 report.pdf', content_type: 'application/pdf', size: REPORT.length },
      { id: chartId, file_name: 'chart.png', content_type: 'image/png', size: CHART.length },
    ]);
  });

  it('issues a URL bound to the reader', async () => {
    const response = await requestDownloadUrl(stack, alice, channelId, postId, reportId);

    expect(response.status).toBe(200);
    expect(Object.keys(response.body).sort()).toEqual(['expires_at', 'url']);
    expect(response.body.expires_at).toBe('2026-03-01T12:01:00.000Z');
    const url = new URL(response.body.url);
    expect(url.origin).toBe(stack.s3Url);
    expect(url.pathname).toBe(`/${stack.mediaBucket}/channels/${channelId}/attachments/${reportId}`);
    expect(url.searchParams.get('x-comm-user')).toBe('alice');
    expect(url.searchParams.get('X-Amz-Expires')).toBe('60');
    expect(url.searchParams.get('X-Amz-SignedHeaders')).toBe('host');
  });

  it('returns the exact bytes with download headers', async () => {
    const url = await reportUrl();
    setS3ClockAfterSigning(url, URL_LIFETIME_MS / 2);

    const response = await fetch(url);

    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(REPORT);
    expect(response.headers.get('content-type')).toBe('application/pdf');
    expect(response.headers.get('content-length')).toBe(String(REPORT.length));
    expect(response.headers.get('content-disposition')).toBe(`inline; filename="Q1 report.pdf"; filename*=UTF-8''Q1%20report.pdf`);
    expect(response.headers.get('cache-control')).toBe('private, no-store');
  });

  it.each([
    { range: 'bytes=0-9', first: 0, last: 9 },
    { range: 'bytes=190-', first: 190, last: 199 },
    { range: 'bytes=-10', first: 190, last: 199 },
    { range: 'bytes=-500', first: 0, last: 199 },
    { range: 'bytes=150-999', first: 150, last: 199 },
  ])('serves $range with 206', async ({ range, first, last }) => {
    const url = await reportUrl();
    setS3ClockAfterSigning(url, URL_LIFETIME_MS / 2);

    const response = await fetch(url, { headers: { range } });

    expect(response.status).toBe(206);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(REPORT.subarray(first, last + 1));
    expect(response.headers.get('content-range')).toBe(`bytes ${first}-${last}/${REPORT.length}`);
    expect(response.headers.get('cache-control')).toBe('private, no-store');
  });

  it.each(['bytes=200-210', 'bytes=-0'])('answers 416 to %s', async (range) => {
    const url = await reportUrl();

    const response = await fetch(url, { headers: { range } });

    expect(response.status).toBe(416);
    expect(s3Error(await response.text()).code).toBe('InvalidRange');
  });

  it('serves the whole object for several ranges', async () => {
    const url = await reportUrl();

    const response = await fetch(url, { headers: { range: 'bytes=0-9,20-29' } });

    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(REPORT);
  });

  it.each([
    { request: 'GET', headers: {} as Record<string, string> },
    { request: 'range GET', headers: { range: 'bytes=100-199' } as Record<string, string> },
  ])('rejects an expired URL on a $request', async ({ headers }) => {
    const url = await reportUrl();
    setS3ClockAfterSigning(url, URL_LIFETIME_MS + 30_000);

    const response = await fetch(url, { headers });

    expect(response.status).toBe(403);
    expect(s3Error(await response.text())).toEqual({ code: 'AccessDenied', message: 'Request has expired' });
  });

  it('serves a fresh URL after the old one expired', async () => {
    const oldUrl = await reportUrl();
    setS3ClockAfterSigning(oldUrl, URL_LIFETIME_MS + 30_000);
    const expired = await fetch(oldUrl);
    expect(expired.status).toBe(403);
    stack.s3.setClockOffset(0);

    const response = await fetch(await reportUrl());

    expect(response.status).toBe(200);
    expect(Buffer.from(await response.arrayBuffer())).toEqual(REPORT);
  });

  it.each(TAMPERS)('rejects a changed $name', async ({ change }) => {
    const url = await reportUrl();
    const tampered = change(url, { reportId, chartId });
    expect(tampered).not.toBe(url);

    const response = await fetch(tampered);

    expect(response.status).toBe(403);
    expect(s3Error(await response.text())).toEqual({
      code: 'SignatureDoesNotMatch',
      message: 'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    });
  });

  it('rejects an unsigned GET of the object', async () => {
    const unsigned = `${stack.s3Url}/${stack.mediaBucket}/channels/${channelId}/attachments/${reportId}`;

    const response = await fetch(unsigned);

    expect(response.status).toBe(403);
    expect(s3Error(await response.text())).toEqual({ code: 'AccessDenied', message: 'Access Denied' });
  });
});
