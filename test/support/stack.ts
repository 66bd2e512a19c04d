import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { ADMIN_GROUP } from '../../local/auth-config.js';
import { signToken } from '../../local/signing-key.js';
import { startLocalStack, type LocalStack, type LocalStackOptions } from '../../local/stack.js';
import { openTestSocket, type TestSocket, type TestSocketOptions } from './websocket.js';

export interface TestStack extends LocalStack {
  /** Signs a token for `sub`, with the admin group when `admin` is set. */
  token(sub: string, options?: { admin?: boolean; moderator?: boolean }): string;
  /** Sends a request to the local HTTP API as `token`, JSON in and out. */
  request(method: string, path: string, options?: RequestOptions): Promise<ApiResult>;
  /** Opens a WebSocket to `wsUrl`. stop() closes it if the test has not. */
  openSocket(options?: TestSocketOptions): Promise<TestSocket>;
}

export interface RequestOptions {
  readonly token?: string;
  readonly body?: unknown;
  /** Sent as-is, for malformed bodies. */
  readonly rawBody?: string;
  readonly headers?: Record<string, string>;
}

export interface ApiResult {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
  readonly body: any;
}

/**
 * Starts the local stack on a free port against the shared DynamoDB Local,
 * with tables under a fresh prefix so test files never see each other's data.
 */
export async function startTestStack(options: LocalStackOptions = {}): Promise<TestStack> {
  const dataDir = await mkdtemp(join(tmpdir(), 'comm-test-'));
  let stack: LocalStack;
  try {
    stack = await startLocalStack({
      port: 0,
      dataDir,
      inMemory: true,
      dynamoEndpoint: inject('dynamoEndpoint'),
      tablePrefix: `t${randomBytes(4).toString('hex')}`,
      logLevel: 'silent',
      ...options,
    });
  } catch (error) {
    // Tests that expect start-up to fail must not leave the data dir behind.
    await rm(dataDir, { recursive: true, force: true });
    throw error;
  }

  const token = (sub: string, roles: { admin?: boolean; moderator?: boolean } = {}): string =>
    signToken(stack.signingKey, {
      sub,
      groups: [...(roles.admin ? [ADMIN_GROUP] : []), ...(roles.moderator ? ['comm-moderator'] : [])],
    });

  const request = async (method: string, path: string, requestOptions: RequestOptions = {}): Promise<ApiResult> => {
    const headers: Record<string, string> = { ...requestOptions.headers };
    if (requestOptions.token) headers.authorization = `Bearer ${requestOptions.token}`;
    let body: string | undefined = requestOptions.rawBody;
    if (requestOptions.body !== undefined) {
      body = JSON.stringify(requestOptions.body);
      headers['content-type'] = 'application/json';
    }
    const response = await fetch(`${stack.url}${path}`, { method, headers, body });
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = text === '' ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: response.status, headers: response.headers, text, body: parsed };
  };

  const sockets: TestSocket[] = [];
  const openSocket = async (socketOptions: TestSocketOptions = {}): Promise<TestSocket> => {
    const socket = await openTestSocket(stack.wsUrl, socketOptions);
    sockets.push(socket);
    return socket;
  };

  return {
    ...stack,
    token,
    request,
    openSocket,
    stop: async () => {
      await stack.stop();
      for (const socket of sockets) socket.socket.terminate();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}
