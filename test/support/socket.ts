import WebSocket from 'ws';

/** A test WebSocket client that records every frame it receives. */
export interface TestSocket {
  readonly socket: WebSocket;
  readonly frames: Record<string, any>[];
  send(message: unknown): void;
  /** Waits until `predicate` matches a frame received after `fromIndex`, and returns it. */
  waitFor(predicate: (frame: Record<string, any>) => boolean, options?: { timeoutMs?: number; fromIndex?: number }): Promise<Record<string, any>>;
  /** Sends a message and returns the next frame of `type` (or an error frame). */
  request(message: unknown, type: string): Promise<Record<string, any>>;
  close(): Promise<void>;
}

const DEFAULT_WAIT_MS = 15_000;

/** Opens an authenticated socket on the local stack's `/ws` and resolves once the handshake succeeded. */
export async function openSocket(baseUrl: string, token: string): Promise<TestSocket> {
  const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/ws`, { headers: { authorization: `Bearer ${token}` } });
  const frames: Record<string, any>[] = [];
  const listeners = new Set<() => void>();
  socket.on('message', (data) => {
    frames.push(JSON.parse(data.toString()));
    for (const listener of listeners) listener();
  });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('error', reject);
    socket.once('unexpected-response', (_request, response) => reject(new Error(`handshake rejected with HTTP ${response.statusCode}`)));
  });

  const waitFor: TestSocket['waitFor'] = (predicate, options = {}) =>
    new Promise((resolve, reject) => {
      const check = (): boolean => {
        const match = frames.slice(options.fromIndex ?? 0).find(predicate);
        if (!match) return false;
        cleanup();
        resolve(match);
        return true;
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`no matching frame within ${options.timeoutMs ?? DEFAULT_WAIT_MS} ms; received ${JSON.stringify(frames)}`));
      }, options.timeoutMs ?? DEFAULT_WAIT_MS);
      const listener = (): void => void check();
      const cleanup = (): void => {
        clearTimeout(timer);
        listeners.delete(listener);
      };
      listeners.add(listener);
      check();
    });

  return {
    socket,
    frames,
    send: (message) => socket.send(JSON.stringify(message)),
    waitFor,
    request: (message, type) => {
      const fromIndex = frames.length;
      socket.send(JSON.stringify(message));
      return waitFor((frame) => frame.type === type || frame.type === 'error', { fromIndex });
    },
    close: () =>
      new Promise((resolve) => {
        if (socket.readyState === WebSocket.CLOSED) return resolve();
        socket.once('close', () => resolve());
        socket.close();
      }),
  };
}

/** Attempts a handshake and returns the HTTP status it was rejected with, or 101 when it succeeded. */
export function handshakeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(url, { headers });
    socket.once('open', () => {
      socket.close();
      resolve(101);
    });
    socket.once('unexpected-response', (_request, response) => {
      resolve(response.statusCode ?? 0);
      socket.terminate();
    });
    socket.once('error', (error) => {
      if (socket.readyState !== WebSocket.CLOSED) reject(error);
    });
  });
}
