import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import WebSocket, { WebSocketServer } from 'ws';

/** One broadcast of every frame to every client. */
export interface BroadcastRun {
  /** ms from the first send to the last frame received by the last client. */
  readonly ms: number;
  /** Frames received, summed over clients. */
  readonly deliveries: number;
  readonly completed: boolean;
}

/**
 * A bare `ws` WebSocketServer on 127.0.0.1 with its own clients in this
 * process: the baseline for fan-out through the layer. It sends each frame
 * to each client with `send` in a loop, with no routing, storage or
 * `@connections` requests in between.
 */
export class PlainBroadcast {
  private server: WebSocketServer | undefined;
  private readonly clients: WebSocket[] = [];
  /** Frames received by each client in the current run, by client index. */
  private received: number[] = [];
  private target = 0;
  private lastReceivedAt = 0;
  private completedClients = 0;
  private onComplete: (() => void) | undefined;

  /** Starts the server on a free port and connects `clients` clients, `concurrency` handshakes at a time. */
  async start(clients: number, concurrency: number): Promise<void> {
    const server = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    this.server = server;
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;

    for (let start = 0; start < clients; start += concurrency) {
      const count = Math.min(concurrency, clients - start);
      await Promise.all(Array.from({ length: count }, (_, offset) => this.connect(`ws://127.0.0.1:${port}`, start + offset)));
    }
    this.received = new Array<number>(clients).fill(0);
  }

  /** Sends every frame to every connected client and waits until each client has them all, or `timeoutMs` passes. */
  async broadcast(frames: readonly string[], timeoutMs: number): Promise<BroadcastRun> {
    if (!this.server) throw new Error('PlainBroadcast.broadcast() called before start()');
    this.received.fill(0);
    this.target = frames.length;
    this.completedClients = 0;
    const allReceived = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.onComplete = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });

    const started = performance.now();
    for (const frame of frames) {
      for (const client of this.server.clients) client.send(frame);
    }
    const completed = await allReceived;
    this.onComplete = undefined;

    const deliveries = this.received.reduce((sum, count) => sum + count, 0);
    return { ms: (completed ? this.lastReceivedAt : performance.now()) - started, deliveries, completed };
  }

  /** Terminates the clients and closes the server. Safe to call more than once. */
  async stop(): Promise<void> {
    for (const client of this.clients) client.terminate();
    this.clients.length = 0;
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const client of server.clients) client.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private connect(url: string, index: number): Promise<void> {
    const client = new WebSocket(url);
    this.clients.push(client);
    client.on('message', () => {
      this.received[index] = (this.received[index] ?? 0) + 1;
      if (this.received[index] !== this.target) return;
      this.lastReceivedAt = performance.now();
      this.completedClients += 1;
      if (this.completedClients === this.clients.length) this.onComplete?.();
    });

    return new Promise((resolve, reject) => {
      client.once('open', () => resolve());
      // A persistent listener, so a second error cannot crash the run.
      client.on('error', reject);
    });
  }
}
