import { describe, expect, inject, it } from 'vitest';
import type { SoakSocket } from '../../local/soak-client.js';
import { runSoak } from '../../local/soak.js';
import { verifySoak, ViolationLog, type StoredPost, type SubscribedSocket, type VerificationInput } from '../../local/soak-verify.js';

/** Small enough for about 30 s on a 2-core machine, large enough for 429 retries, edits, deletes and short-lived subscriptions. */
const BOUNDED_RUN = { publishes: 600, clients: 10, channels: 3, historyPerChannel: 20, timeLimitMs: 120_000, drainTimeoutMs: 30_000 } as const;

describe('runSoak', () => {
  it('passes a bounded run', { timeout: 240_000 }, async () => {
    const result = await runSoak({ ...BOUNDED_RUN, dynamoEndpoint: inject('dynamoEndpoint') });

    expect(result.violations).toEqual([]);
    expect(result.passed).toBe(true);
    expect(result.figures.publishes).toBe(600);
    // 20 grid posts plus 10 at window edges, none of them on the same instant.
    expect(result.figures.imports).toBe(90);
    expect(result.figures.admins).toBe(3);
    expect(result.figures.readers).toBe(7);
    expect(result.figures.reads).toBeGreaterThan(0);
    expect(result.figures.publishedFrames).toBeGreaterThan(0);
    expect(result.figures.latency.publish?.count).toBeGreaterThan(0);
    expect(Object.keys(result.figures.statuses).filter((key) => /\s5\d\d$/.test(key))).toEqual([]);
  });

  it('rejects a bound out of range', async () => {
    await expect(runSoak({ publishes: 0 })).rejects.toThrow(new RangeError('Invalid publishes 0: expected an integer from 1 to 100000, which keeps the soak bounded in count and time'));
  });
});

describe('verifySoak', () => {
  // Channel 0 has the whole-archive policy. The lapsed profile reads it up to 2025-03-31T23:59:59.999Z.
  const posts: StoredPost[] = [
    { id: 'p1', seq: 1, published_at: '2025-03-31T23:59:59.999Z', is_deleted: false, body_text: 'Archive secret-0-1' },
    { id: 'p2', seq: 2, published_at: '2025-04-01T00:00:00.000Z', is_deleted: false, body_text: 'Archive secret-0-2' },
    { id: 'p3', seq: 3, published_at: '2026-01-01T00:00:00.000Z', is_deleted: false, body_text: 'Signal secret-0-3' },
  ];

  function fakeSocket(frames: Record<string, unknown>[]): SoakSocket {
    return { frames, rawFrames: frames.map((frame) => JSON.stringify(frame)), unexpectedClose: undefined } as unknown as SoakSocket;
  }

  function lapsedSocket(frames: Record<string, unknown>[]): SubscribedSocket {
    return { userId: 'soak-lapsed-1', profile: 'lapsed', channelIndexes: [0], socket: fakeSocket(frames), expectsEveryPost: true };
  }

  const published = (seq: number) => ({ type: 'post.published', channel_id: 'ch_a', seq, post_id: `p${seq}`, dedupe_key: `ch_a:${seq}:1` });

  function validInput(): VerificationInput {
    return {
      channels: [{ index: 0, id: 'ch_a', policy: 'whole-archive' }],
      stored: new Map([[0, { posts, lastSeq: 3 }]]),
      keys: new Map([[0, new Map([['import-0-0', 1], ['import-0-1', 2], ['soak-0', 3]])]]),
      acknowledged: new Map(posts.map((post, index) => [`secret-0-${index + 1}`, { channelIndex: 0, seq: post.seq, id: post.id, token: `secret-0-${index + 1}`, publishedAt: post.published_at }])),
      pages: [{ profile: 'lapsed', channelIndex: 0, direction: 'after', cursor: 0, limit: 20, seqs: [1], next: 3, hasMore: false, lastSeq: 3 }],
      postReads: [
        { profile: 'lapsed', channelIndex: 0, seq: 1, status: 200 },
        { profile: 'lapsed', channelIndex: 0, seq: 2, status: 403 },
      ],
      sockets: [lapsedSocket([published(1)])],
      tokensSeen: new Map([['lapsed', new Set(['secret-0-1'])]]),
    };
  }

  function violationsOf(input: VerificationInput): string[] {
    const log = new ViolationLog();
    verifySoak(input, log);
    return log.list();
  }

  it('accepts consistent data', () => {
    expect(violationsOf(validInput())).toEqual([]);
  });

  it.each([
    [
      'a seq gap',
      (input: VerificationInput): VerificationInput => ({ ...input, stored: new Map([[0, { posts: [posts[0]!, posts[2]!], lastSeq: 3 }]]) }),
      ['contiguous-seq: channel ch_a: posts are not 1..3; position 2 has seq 3', 'contiguous-seq: channel ch_a: 2 posts read but last_seq is 3'],
    ],
    [
      'a retry that made a post',
      (input: VerificationInput): VerificationInput => ({ ...input, keys: new Map([[0, new Map([['import-0-0', 1], ['soak-0', 3]])]]) }),
      ['idempotency: channel ch_a: 2 distinct Idempotency-Keys acknowledged but last_seq is 3, so a retry made a duplicate or a post appeared without a key'],
    ],
    [
      'a page with a hidden post',
      (input: VerificationInput): VerificationInput => ({ ...input, pages: [{ ...input.pages[0]!, seqs: [1, 2] }] }),
      ['feed-pages: lapsed reader, channel ch_a (whole-archive), after_seq=0&limit=20: returned seqs [1,2] but the readable seqs of 1..3 are [1]'],
    ],
    [
      'a hidden post read',
      (input: VerificationInput): VerificationInput => ({ ...input, postReads: [{ profile: 'lapsed', channelIndex: 0, seq: 2, status: 200 }] }),
      ['post-reads: lapsed reader, channel ch_a (whole-archive), seq 2 published 2025-04-01T00:00:00.000Z: HTTP 200, expected 403'],
    ],
    [
      'a delta of a hidden post',
      (input: VerificationInput): VerificationInput => ({ ...input, sockets: [lapsedSocket([published(1), published(3)])] }),
      ['deltas-withheld: lapsed socket of soak-lapsed-1, channel ch_a (whole-archive): received post.published for seq 3 published 2026-01-01T00:00:00.000Z, outside its windows'],
    ],
    [
      'a missing delta',
      (input: VerificationInput): VerificationInput => ({ ...input, sockets: [lapsedSocket([])] }),
      ['deltas-delivered: lapsed socket of soak-lapsed-1, channel ch_a (whole-archive): no post.published for 1 readable seqs, first 1'],
    ],
    [
      'a body outside the windows',
      (input: VerificationInput): VerificationInput => ({ ...input, tokensSeen: new Map([['lapsed', new Set(['secret-0-1', 'secret-0-3'])]]) }),
      ['content-leak: lapsed reader received the body of channel ch_a (whole-archive) seq 3 published 2026-01-01T00:00:00.000Z, outside its windows'],
    ],
  ])('reports %s', (_case, change, expected) => {
    expect(violationsOf(change(validInput()))).toEqual(expected);
  });
});
