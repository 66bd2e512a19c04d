import { performance } from 'node:perf_hooks';
import WebSocket from 'ws';

/** Gives up on a handshake that has not completed after this many ms. */
const HANDSHAKE_TIMEOUT_MS = 10_000;
/** Gives up on a `subscribe` whose reply has not arrived after this many ms. */
const SUBSCRIBE_TIMEOUT_MS = 10_000;

/** The first receipt of one `post.published` delta on one socket. */
interface Receipt {
  /** performance.now() when the frame arrived. */
  readonly at: number;
  /** The frame as the socket received it. */
  readonly text: string;
}

interface ReaderSocket {
  readonly socket: WebSocket;
  /** First receipt of each seq. Later receipts of the same seq count only as duplicates. */
  readonly receipts: Map<number, Receipt>;
  /** False from an `unsubscribed` frame until the next successful subscribe. */
  subscribed: boolean;
  /** Resolves the pending `subscribe` with its reply. */
  replyWaiter?: (frame: Record<string, unknown>) => void;
}

/** A wait for a set of seqs: `outstanding` counts the (subscribed socket, seq) pairs not yet received. */
interface DeliveryWaiter {
  readonly seqs: ReadonlySet<number>;
  outstanding: number;
  readonly resolve: () => void;
}

/**
 * Benchmark clients of one channel on the local WebSocket API. Each socket
 * records when it first received each `post.published` delta of the
 * channel, so latencies and delivery counts are read per seq. A socket that
 * the server unsubscribes is no longer waited for until it subscribes again.
 */
export class ChannelReaders {
  private readonly readers: ReaderSocket[] = [];
  private waiter: DeliveryWaiter | undefined;
  private terminating = false;
  /** Repeated receipts of a seq on a socket (stream processing is at-least-once). */
  duplicates = 0;
  /** `unsubscribed` frames of the channel, counted by reason. */
  readonly unsubscribedReasons = new Map<string, number>();
  /** Frames other than the channel's deltas, subscribe replies and `unsubscribed`, by `type`. */
  readonly unexpectedFrames = new Map<string, number>();
  /** Sockets that closed before terminate(), for example on the server's idle timeout. */
  closedEarly = 0;

  constructor(
    private readonly wsUrl: string,
    private readonly channelId: string,
  ) {}

  get size(): number {
    return this.readers.length;
  }

  /** `unsubscribed` frames received so far. */
  get unsubscribedTotal(): number {
    return [...this.unsubscribedReasons.values()].reduce((sum, count) => sum + count, 0);
  }

  /**
   * Opens one socket per token and subscribes it to the channel from
   * `afterSeq`, with at most `concurrency` handshakes and subscribes in
   * flight. Throws on the first rejected handshake or subscribe.
   */
  async add(tokens: readonly string[], afterSeq: number, concurrency: number): Promise<void> {
    for (let start = 0; start < tokens.length; start += concurrency) {
      const batch = tokens.slice(start, start + concurrency);
      await Promise.all(
        batch.map(async (token) => {
          const reader = await this.open(token);
          this.readers.push(reader);
          await this.subscribe(reader, afterSeq);
        }),
      );
    }
  }

  /** Subscribes again every socket the server unsubscribed. Returns how many there were. */
  async resubscribeDropped(afterSeq: number, concurrency: number): Promise<number> {
    const dropped = this.readers.filter((reader) => !reader.subscribed);
    for (let start = 0; start < dropped.length; start += concurrency) {
      await Promise.all(dropped.slice(start, start + concurrency).map((reader) => this.subscribe(reader, afterSeq)));
    }
    return dropped.length;
  }

  /** Returns performance.now() of each socket's first receipt of `seq`, leaving out sockets without it. */
  receiptTimes(seq: number): number[] {
    const times: number[] = [];
    for (const reader of this.readers) {
      const receipt = reader.receipts.get(seq);
      if (receipt) times.push(receipt.at);
    }
    return times;
  }

  /** Counts the subscribed sockets that have not received `seq`. */
  missing(seq: number): number {
    return this.readers.filter((reader) => reader.subscribed && !reader.receipts.has(seq)).length;
  }

  /** Returns the text of the `seq` frame from the first socket that received it. */
  frameText(seq: number): string | undefined {
    for (const reader of this.readers) {
      const receipt = reader.receipts.get(seq);
      if (receipt) return receipt.text;
    }
    return undefined;
  }

  /**
   * Resolves true once every subscribed socket has received every seq in
   * `seqs`, or false when `timeoutMs` passes first.
   */
  waitForDeliveries(seqs: readonly number[], timeoutMs: number): Promise<boolean> {
    const wanted = new Set(seqs);
    const outstanding = this.readers.reduce((sum, reader) => sum + this.lacking(reader, wanted), 0);
    if (outstanding === 0) return Promise.resolve(true);

    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.waiter = undefined;
        resolve(false);
      }, timeoutMs);
      this.waiter = {
        seqs: wanted,
        outstanding,
        resolve: () => {
          clearTimeout(timer);
          this.waiter = undefined;
          resolve(true);
        },
      };
    });
  }

  /** Terminates every socket without a closing handshake. */
  terminate(): void {
    this.terminating = true;
    for (const reader of this.readers) reader.socket.terminate();
  }

  private async subscribe(reader: ReaderSocket, afterSeq: number): Promise<void> {
    const reply = await new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Subscribe to channel ${this.channelId} timed out after ${SUBSCRIBE_TIMEOUT_MS} ms without a reply`)), SUBSCRIBE_TIMEOUT_MS);
      reader.replyWaiter = (frame) => {
        clearTimeout(timer);
        reader.replyWaiter = undefined;
        resolve(frame);
      };
      reader.socket.send(JSON.stringify({ action: 'subscribe', channel_id: this.channelId, after_seq: afterSeq }));
    });
    if (reply.type !== 'subscribed') throw new Error(`Subscribe to channel ${this.channelId} failed: ${JSON.stringify(reply)}`);
    reader.subscribed = true;
  }

  private open(token: string): Promise<ReaderSocket> {
    const socket = new WebSocket(this.wsUrl, { headers: { authorization: `Bearer ${token}` }, handshakeTimeout: HANDSHAKE_TIMEOUT_MS });
    const reader: ReaderSocket = { socket, receipts: new Map(), subscribed: false };
    socket.on('message', (data) => this.receive(reader, data.toString()));
    socket.once('close', () => {
      if (!this.terminating) this.closedEarly += 1;
    });

    return new Promise((resolve, reject) => {
      socket.once('open', () => resolve(reader));
      socket.once('unexpected-response', (_request, response) => {
        socket.terminate();
        reject(new Error(`WebSocket handshake to ${this.wsUrl} rejected with HTTP ${response.statusCode}`));
      });
      // A persistent listener, because an unhandled 'error' event would crash the run and a socket may emit more than one.
      socket.on('error', reject);
    });
  }

  private receive(reader: ReaderSocket, text: string): void {
    const at = performance.now();
    const frame = JSON.parse(text) as Record<string, unknown>;
    const ofChannel = frame.channel_id === this.channelId;

    if (frame.type === 'post.published' && ofChannel && typeof frame.seq === 'number') {
      this.recordDelta(reader, frame.seq, { at, text });
      return;
    }
    if (reader.replyWaiter && (frame.type === 'subscribed' || frame.type === 'error')) {
      reader.replyWaiter(frame);
      return;
    }
    if (frame.type === 'unsubscribed' && ofChannel) {
      this.recordUnsubscribed(reader, String(frame.reason));
      return;
    }
    const type = String(frame.type);
    this.unexpectedFrames.set(type, (this.unexpectedFrames.get(type) ?? 0) + 1);
  }

  private recordDelta(reader: ReaderSocket, seq: number, receipt: Receipt): void {
    if (reader.receipts.has(seq)) {
      this.duplicates += 1;
      return;
    }
    reader.receipts.set(seq, receipt);

    const waiter = this.waiter;
    if (!waiter || !reader.subscribed || !waiter.seqs.has(seq)) return;
    waiter.outstanding -= 1;
    if (waiter.outstanding === 0) waiter.resolve();
  }

  private recordUnsubscribed(reader: ReaderSocket, reason: string): void {
    this.unsubscribedReasons.set(reason, (this.unsubscribedReasons.get(reason) ?? 0) + 1);
    if (!reader.subscribed) return;

    const waiter = this.waiter;
    if (waiter) waiter.outstanding -= this.lacking(reader, waiter.seqs);
    reader.subscribed = false;
    if (waiter && waiter.outstanding === 0) waiter.resolve();
  }

  /** Counts the seqs of `seqs` that a subscribed reader has not received. An unsubscribed reader counts 0. */
  private lacking(reader: ReaderSocket, seqs: ReadonlySet<number>): number {
    if (!reader.subscribed) return 0;
    let count = 0;
    for (const seq of seqs) if (!reader.receipts.has(seq)) count += 1;
    return count;
  }
}
