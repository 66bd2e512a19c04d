import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { expect } from 'vitest';
import { TABLES } from '../../lib/table-definitions.js';
import type { ApiResult, TestStack } from '../support/stack.js';

/** Forum test helpers: requests seeded through the HTTP API, audit lookups and table snapshots. */

export const SECOND_MS = 1_000;
export const MINUTE_MS = 60 * SECOND_MS;
export const HOUR_MS = 60 * MINUTE_MS;
export const DAY_MS = 24 * HOUR_MS;

/**
 * Returns the next whole hour of real time, to start a test clock. Test
 * clocks only move forward from real time, because DynamoDB Local's TTL
 * sweep compares `expires_at_epoch` with real time. A clock set in the past
 * would let it delete mutes and rate-limit windows while a test runs. A
 * whole hour also starts a whole rate-limit minute.
 */
export function nextWholeHour(): number {
  return Math.ceil(Date.now() / HOUR_MS) * HOUR_MS;
}

export const iso = (epochMs: number): string => new Date(epochMs).toISOString();

/**
 * A rate limit no test in a file reaches, for files that test something
 * other than the limit and post more than ten messages in one minute of the
 * injected clock.
 */
export const NO_RATE_LIMIT = { FORUM_RATE_LIMIT_MESSAGES: '100000' } as const;

export interface TopicBody {
  id: string;
  forum_id: string;
  title: string;
  author_id: string;
  post: { channel_id: string; post_id: string } | null;
  pinned: boolean;
  locked: boolean;
  slow_mode_seconds: number;
  last_seq: number;
  message_count: number;
  last_activity_at: string;
  created_at: string;
  version: number;
}

export interface MessageBody {
  id: string;
  topic_id: string;
  seq: number;
  created_at: string;
  author_id: string;
  body_text: string | null;
  edited_at: string | null;
  version: number;
  is_deleted: boolean;
}

export interface MessagePage {
  messages: MessageBody[];
  next_after_seq?: number;
  next_before_seq?: number;
  has_more: boolean;
  last_seq: number;
}

export interface AuditRecord {
  id: string;
  target: string;
  actor_id: string;
  action: string;
  recorded_at: string;
  details: Record<string, unknown>;
}

export interface ForumApi {
  /** Creates a forum as `token` (an admin) and returns its id. Fails the test unless the status is 201. */
  createForum(token: string, body?: { title?: string; description?: string; linked_channel_id?: string }): Promise<string>;
  /** Creates a topic and its first message. Fails the test unless the status is 201. */
  createTopic(token: string, forumId: string, body?: { title?: string; body_text?: string; post_id?: string }): Promise<{ topic: TopicBody; message: MessageBody }>;
  postMessage(token: string, topicId: string, bodyText: string, idempotencyKey?: string): Promise<ApiResult>;
  /** Posts a message and returns it. Fails the test unless the status is 201. */
  reply(token: string, topicId: string, bodyText: string): Promise<MessageBody>;
  getTopic(token: string, topicId: string): Promise<TopicBody>;
  messagesPage(token: string, topicId: string, query?: string): Promise<ApiResult>;
  /** Reads every message `token` can read in the topic, paging forwards from seq 0. */
  allMessages(token: string, topicId: string, limit?: number): Promise<MessageBody[]>;
  /** Reads the audit records of `target` (`topic#…` or `forum#…`) as an admin, newest first. */
  auditOf(target: string): Promise<AuditRecord[]>;
}

export function forumApi(stack: TestStack): ForumApi {
  const admin = stack.token('audit-reader', { admin: true });

  const createForum: ForumApi['createForum'] = async (token, body = {}) => {
    const response = await stack.request('POST', '/api/admin/forums', { token, body: { title: 'Forum', ...body } });
    expect(response.status, response.text).toBe(201);
    return response.body.id as string;
  };

  const createTopic: ForumApi['createTopic'] = async (token, forumId, body = {}) => {
    const response = await stack.request('POST', `/api/mobile/forums/${forumId}/topics`, {
      token,
      body: { title: 'Topic', body_text: 'Opening message', ...body },
    });
    expect(response.status, response.text).toBe(201);
    return response.body as { topic: TopicBody; message: MessageBody };
  };

  const postMessage: ForumApi['postMessage'] = (token, topicId, bodyText, idempotencyKey) =>
    stack.request('POST', `/api/mobile/topics/${topicId}/messages`, {
      token,
      body: { body_text: bodyText },
      ...(idempotencyKey !== undefined && { headers: { 'idempotency-key': idempotencyKey } }),
    });

  const reply: ForumApi['reply'] = async (token, topicId, bodyText) => {
    const response = await postMessage(token, topicId, bodyText);
    expect(response.status, response.text).toBe(201);
    return response.body as MessageBody;
  };

  const getTopic: ForumApi['getTopic'] = async (token, topicId) => {
    const response = await stack.request('GET', `/api/mobile/topics/${topicId}`, { token });
    expect(response.status, response.text).toBe(200);
    return response.body as TopicBody;
  };

  const messagesPage: ForumApi['messagesPage'] = (token, topicId, query = '') =>
    stack.request('GET', `/api/mobile/topics/${topicId}/messages${query === '' ? '' : `?${query}`}`, { token });

  const allMessages: ForumApi['allMessages'] = async (token, topicId, limit = 100) => {
    const messages: MessageBody[] = [];
    let afterSeq = 0;
    // A page always moves next_after_seq forward, so a topic of n messages needs at most n + 1 pages.
    for (let page = 0; page < 1_000; page += 1) {
      const response = await messagesPage(token, topicId, `after_seq=${afterSeq}&limit=${limit}`);
      expect(response.status, response.text).toBe(200);
      const body = response.body as MessagePage;
      messages.push(...body.messages);
      if (!body.has_more) return messages;
      afterSeq = body.next_after_seq!;
    }
    throw new Error(`Paging topic ${topicId} did not end after 1000 pages`);
  };

  const auditOf: ForumApi['auditOf'] = async (target) => {
    const response = await stack.request('GET', `/api/admin/audit?target=${encodeURIComponent(target)}&limit=100`, { token: admin });
    expect(response.status, response.text).toBe(200);
    expect(response.body.next_cursor).toBeNull();
    return response.body.records as AuditRecord[];
  };

  return { createForum, createTopic, postMessage, reply, getTopic, messagesPage, allMessages, auditOf };
}

/** Reads every item of every table, so a test can show that a rejected request wrote nothing. */
export async function snapshotTables(stack: TestStack): Promise<Record<string, unknown[]>> {
  const entries = await Promise.all(
    TABLES.map(async (table) => {
      const items: Record<string, unknown>[] = [];
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await stack.db.send(new ScanCommand({ TableName: stack.tables[table.id], ConsistentRead: true, ExclusiveStartKey: startKey }));
        items.push(...(page.Items ?? []));
        startKey = page.LastEvaluatedKey;
      } while (startKey);
      return [table.id, items] as const;
    }),
  );
  return Object.fromEntries(entries);
}
