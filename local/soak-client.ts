/**
 * Clients of the soak run: an HTTP client that records every response's
 * status and latency per operation, and a WebSocket client that records
 * every frame. Both send only to the local stack's loopback URLs.
 */
import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';

export const OPERATIONS = [
  'setup',
  'import',
  'publish',
  'publish-retry',
  'publish-concurrent',
  'edit',
  'delete',
  'feed-after',
  'feed-before',
  'post-read',
  'channel-list',
  'subscribe',
  'verify-read',
] as const;
export type Operation = (typeof OPERATIONS)[number];

/** Operations that read content as a reader, counted for reads per second. */
export const READ_OPERATIONS: readonly Operation[] = ['feed-after', 'feed-before', 'post-read', 'channel-list'];

export interface HttpResult {
  /** HTTP status, or 0 when the request failed without a response. */
  readonly status: number;
  readonly headers: Headers | undefined;
  readonly text: string;
  readonly body: any;
}

/** A response with status 500 or above, or a request that got no response. */
export interface ServerFailure {
  readonly operation: Operation;
  readonly method: string;
  readonly path: string;
  readonly status: number;
  /** First 300 characters of the response body or the network error. */
  readonly detail: string;
}

/** Latencies in ms and status counts per operation, shared by every client of one run. */
export class SoakRecorder {
  readonly latencies = new Map<Operation, number[]>();
  /** Counts per `operation status`, e.g. `publish 201`, or `subscribe subscribed` for a WebSocket reply. */
  readonly statuses = new Map<string, number>();
  readonly serverFailures: ServerFailure[] = [];

  /** Records one response: an HTTP status, 0 for no response, or the type (and code) of a WebSocket reply. */
  record(operation: Operation, status: number | string, latencyMs: number): void {
    const series = this.latencies.get(operation) ?? [];
    series.push(latencyMs);
    this.latencies.set(operation, series);
    const key = `${operation} ${status}`;
    this.statuses.set(key, (this.statuses.get(key) ?? 0) + 1);
  }

  countOf(operations: readonly Operation[]): number {
    return operations.reduce((sum, operation) => sum + (this.latencies.get(operation)?.length ?? 0), 0);
  }
}

export interface SendOptions {
  readonly token: string;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
}

/** JSON over HTTP to the local stack, with every response recorded under its operation. */
export class SoakHttpClient {
  constructor(
    private readonly baseUrl: string,
    private readonly recorder: SoakRecorder,
  ) {}

  async send(operation: Operation, method: string, path: string, options: SendOptions): Promise<HttpResult> {
    const headers: Record<string, string> = { authorization: `Bearer ${options.token}`, ...options.headers };
    if (options.body !== undefined) headers['content-type'] = 'application/json';
    const started = performance.now();

    let response: Response;
    let text: string;
    try {
      response = await fetch(`${this.baseUrl}${path}`, { method, headers, body: options.body === undefined ? undefined : JSON.stringify(options.body) });
      text = await response.text();
    } catch (error) {
      this.recorder.record(operation, 0, performance.now() - started);
      this.recorder.serverFailures.push({ operation, method, path, status: 0, detail: String(error).slice(0, 300) });
      return { status: 0, headers: undefined, text: '', body: undefined };
    }

    this.recorder.record(operation, response.status, performance.now() - started);
    if (response.status >= 500) this.recorder.serverFailures.push({ operation, method, path, status: response.status, detail: text.slice(0, 300) });
    return { status: response.status, headers: response.headers, text, body: parseJson(text) };
  }
}

function parseJson(text: string): any {
  try {
    return text === '' ? undefined : JSON.parse(text);
  } catch {
    return undefined;
  }
}

export type Frame = Record<string, any>;

/** A WebSocket client that keeps every frame it receives, with its raw text, and how the socket closed. */
export class SoakSocket {
  readonly frames: Frame[] = [];
  readonly rawFrames: string[] = [];
  /** Set when the socket closed without the soak closing it. */
  unexpectedClose: { code: number; reason: string } | undefined;
  private closing = false;
  private readonly listeners = new Set<() => void>();

  private constructor(private readonly socket: WebSocket) {
    socket.on('message', (data) => {
      const text = data.toString();
      this.rawFrames.push(text);
      this.frames.push(JSON.parse(text) as Frame);
      for (const listener of this.listeners) listener();
    });
    socket.on('close', (code, reason) => {
      if (!this.closing) this.unexpectedClose = { code, reason: reason.toString() };
    });
  }

  /** Opens a socket with the token in the Authorization header; rejects when the handshake fails. */
  static open(wsUrl: string, token: string): Promise<SoakSocket> {
    const socket = new WebSocket(wsUrl, { headers: { authorization: `Bearer ${token}` } });
    const client = new SoakSocket(socket);
    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(client));
      socket.once('error', reject);
      socket.once('unexpected-response', (_request, response) => reject(new Error(`WebSocket handshake rejected with HTTP ${response.statusCode}`)));
    });
  }

  /** Sends `message` and returns the next frame of `type` or `error` received after it; rejects after `timeoutMs`. */
  request(message: unknown, type: string, timeoutMs: number): Promise<Frame> {
    const fromIndex = this.frames.length;
    this.socket.send(JSON.stringify(message));
    return new Promise((resolve, reject) => {
      const check = (): void => {
        const reply = this.frames.slice(fromIndex).find((frame) => frame.type === type || frame.type === 'error');
        if (!reply) return;
        cleanup();
        resolve(reply);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`No ${type} frame within ${timeoutMs} ms after ${JSON.stringify(message)}`));
      }, timeoutMs);
      const cleanup = (): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
      };
      this.listeners.add(check);
      check();
    });
  }

  close(): Promise<void> {
    this.closing = true;
    if (this.socket.readyState === WebSocket.CLOSED) return Promise.resolve();
    return new Promise((resolve) => {
      this.socket.once('close', () => resolve());
      this.socket.close();
    });
  }
}
