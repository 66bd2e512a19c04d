import WebSocket from 'ws';
import { waitFor } from './wait.js';

/** How a test client presents its token at the handshake. */
export type TokenPlacement = 'header' | 'query';

export interface TestSocketOptions {
  readonly token?: string;
  /** @default 'header' */
  readonly tokenIn?: TokenPlacement;
  readonly origin?: string;
  readonly headers?: Record<string, string>;
  /** Reply to the server's keep-alive pings with pongs. @default true */
  readonly autoPong?: boolean;
}

/** The server rejected the handshake with an HTTP status other than 101. */
export class HandshakeRejectedError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
  ) {
    super(`WebSocket handshake rejected with HTTP ${status}: ${body}`);
    this.name = 'HandshakeRejectedError';
  }
}

export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
}

/** A `ws` client that records every frame, so no frame is lost between a send and the wait for its reply. */
export interface TestSocket {
  readonly socket: WebSocket;
  /** Text frames received, oldest first, parsed as JSON where they are JSON. */
  readonly frames: unknown[];
  /** Sends a string as it is and anything else as JSON. */
  send(message: unknown): void;
  /** Returns the oldest frame not yet returned, waiting up to `timeoutMs` for it. */
  nextFrame(timeoutMs?: number): Promise<any>;
  /** Resolves with the close code and reason once the socket has closed. */
  readonly closed: Promise<CloseInfo>;
  /** Closes from the client side and waits for the socket to close. */
  close(code?: number, reason?: string): Promise<CloseInfo>;
}

/** Opens a WebSocket to `wsUrl`. Rejects with HandshakeRejectedError when the server returns a status other than 101. */
export function openTestSocket(wsUrl: string, options: TestSocketOptions = {}): Promise<TestSocket> {
  const url = new URL(wsUrl);
  const headers: Record<string, string> = { ...options.headers };
  if (options.token && (options.tokenIn ?? 'header') === 'header') headers.authorization = `Bearer ${options.token}`;
  if (options.token && options.tokenIn === 'query') url.searchParams.set('token', options.token);

  const socket = new WebSocket(url, {
    headers,
    autoPong: options.autoPong ?? true,
    ...(options.origin && { origin: options.origin }),
  });
  const frames: unknown[] = [];
  let returned = 0;
  socket.on('message', (data, isBinary) => {
    const text = isBinary ? undefined : data.toString();
    frames.push(text === undefined ? data : parseJsonOrText(text));
  });
  const closed = new Promise<CloseInfo>((resolve) => socket.once('close', (code, reason) => resolve({ code, reason: reason.toString() })));

  const testSocket: TestSocket = {
    socket,
    frames,
    closed,
    send: (message) => socket.send(typeof message === 'string' ? message : JSON.stringify(message)),
    nextFrame: async (timeoutMs = 5000) => {
      await waitFor(() => frames.length > returned, { description: `frame ${returned + 1} on the WebSocket`, timeoutMs });
      returned += 1;
      return frames[returned - 1];
    },
    close: (code = 1000, reason = '') => {
      if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) socket.close(code, reason);
      return closed;
    },
  };

  return new Promise((resolve, reject) => {
    socket.once('open', () => resolve(testSocket));
    socket.once('unexpected-response', (_request, response) => {
      let body = '';
      response.on('data', (chunk: Buffer) => (body += chunk.toString()));
      response.on('end', () => {
        socket.terminate();
        reject(new HandshakeRejectedError(response.statusCode ?? 0, body));
      });
    });
    // A persistent listener, because a rejected handshake or a dropped connection may emit more than one error.
    socket.on('error', reject);
  });
}

function parseJsonOrText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}
