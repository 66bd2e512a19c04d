import { createHmac } from 'node:crypto';
import * as z from 'zod/mini';
import { AccessUnavailableError } from '../domain/errors.js';
import { ACCESS_MODES, type AccessDecision, type ReadWindow } from '../domain/read-windows.js';
import type { Logger } from '../logger.js';
import type { AccessProvider } from './provider.js';

export interface HttpAccessProviderOptions {
  readonly url: string;
  /** Shared secret for the request signature. */
  readonly secret: string;
  /** @default 1000 */
  readonly timeoutMs: number;
  /** Longest a decision is cached, in seconds. @default 30 */
  readonly cacheSeconds: number;
  /** Consecutive failures that open the circuit; 0 turns the breaker off. @default 5 */
  readonly circuitFailureThreshold?: number;
  readonly clock: () => number;
  readonly logger: Logger;
  /** Replaced in tests only. @default globalThis.fetch */
  readonly fetch?: typeof fetch;
}

/** Cached decisions per Lambda instance; the oldest entry is evicted beyond this. */
const MAX_CACHE_ENTRIES = 10_000;

const DEFAULT_CIRCUIT_FAILURE_THRESHOLD = 5;
/** How long an open circuit fails fast before one trial request is let through. */
const CIRCUIT_OPEN_MS = 10_000;

/** Windows beyond this count make the response malformed. */
const MAX_READ_WINDOWS = 100;

const isoInstant = z.iso.datetime({ offset: true });

const decisionSchema = z.object({
  mode: z.enum(ACCESS_MODES),
  until: z.optional(z.nullable(isoInstant)),
  read_windows: z.optional(
    z.nullable(
      z.array(z.object({ start: z.optional(z.nullable(isoInstant)), end: z.optional(z.nullable(isoInstant)) })).check(z.maxLength(MAX_READ_WINDOWS)),
    ),
  ),
});

/**
 * Asks the platform's endpoint: `POST url` with `{"user_id","channel_id"}`,
 * signed as `X-Comm-Signature: v1=<hex HMAC-SHA256 of "<timestamp>.<body>">`
 * with `X-Comm-Timestamp` in epoch seconds. A timeout, a non-2xx status or a
 * body that is not a valid decision throws AccessUnavailableError (fail
 * closed). Decisions are cached for `cacheSeconds`, but never past the next
 * window edge or `until`, so a cached decision never admits a post that a
 * fresh one would hide.
 *
 * A circuit breaker guards the endpoint. After 5 consecutive failures
 * (configurable), uncached requests fail at once (still closed, with 503) for
 * 10 s instead of each waiting out the timeout. Then one trial request decides
 * whether the circuit closes again.
 */
export class HttpAccessProvider implements AccessProvider {
  private readonly cache = new Map<string, AccessDecision>();
  private readonly fetch: typeof fetch;
  private consecutiveFailures = 0;
  /** Epoch ms until which the circuit is open; 0 when closed. */
  private openUntil = 0;
  private trialInFlight = false;

  constructor(private readonly options: HttpAccessProviderOptions) {
    this.fetch = options.fetch ?? globalThis.fetch;
  }

  async canReadChannel(userId: string, channelId: string): Promise<AccessDecision> {
    const cacheKey = JSON.stringify([userId, channelId]);
    const cached = this.cache.get(cacheKey);
    if (cached && cached.validUntil > this.options.clock()) return cached;

    const trial = this.admitRequest(userId, channelId);
    try {
      const decision = await this.requestDecision(userId, channelId);
      this.consecutiveFailures = 0;
      this.openUntil = 0;
      this.remember(cacheKey, decision);
      return decision;
    } catch (error) {
      this.recordFailure();
      throw error;
    } finally {
      if (trial) this.trialInFlight = false;
    }
  }

  /**
   * Throws while the circuit is open. Returns true when this request is the
   * one trial allowed after the open period, false for a normal request.
   */
  private admitRequest(userId: string, channelId: string): boolean {
    if (this.openUntil === 0) return false;
    if (this.options.clock() < this.openUntil || this.trialInFlight) {
      this.options.logger.debug('Access provider circuit is open; failing fast', { userId, channelId });
      throw new AccessUnavailableError('The access provider is unavailable; try again shortly');
    }
    this.trialInFlight = true;
    return true;
  }

  private recordFailure(): void {
    this.consecutiveFailures += 1;
    const threshold = this.options.circuitFailureThreshold ?? DEFAULT_CIRCUIT_FAILURE_THRESHOLD;
    if (threshold === 0) return;
    const trialFailed = this.openUntil !== 0;
    if (trialFailed || this.consecutiveFailures >= threshold) {
      if (this.openUntil === 0) this.options.logger.warn('Access provider circuit opened', { consecutiveFailures: this.consecutiveFailures });
      this.openUntil = this.options.clock() + CIRCUIT_OPEN_MS;
    }
  }

  private async requestDecision(userId: string, channelId: string): Promise<AccessDecision> {
    const body = JSON.stringify({ user_id: userId, channel_id: channelId });
    const timestamp = String(Math.floor(this.options.clock() / 1000));
    const signature = createHmac('sha256', this.options.secret).update(`${timestamp}.${body}`).digest('hex');

    let payload: unknown;
    try {
      const response = await this.fetch(this.options.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-comm-timestamp': timestamp, 'x-comm-signature': `v1=${signature}` },
        body,
        // A redirect would send the signed request elsewhere or accept an unsigned response, so fail closed instead.
        redirect: 'error',
        signal: AbortSignal.timeout(this.options.timeoutMs),
      });
      if (!response.ok) throw new Error(`access provider returned HTTP ${response.status}`);
      payload = await response.json();
    } catch (error) {
      this.options.logger.warn('Access provider request failed', { userId, channelId, errorName: (error as Error).name, errorMessage: (error as Error).message });
      throw new AccessUnavailableError('The access provider is unavailable; try again shortly', { cause: error });
    }

    const parsed = decisionSchema.safeParse(payload);
    const archiveWithoutUntil = parsed.success && parsed.data.mode === 'ARCHIVE_UNTIL' && !parsed.data.until;
    if (!parsed.success || archiveWithoutUntil) {
      this.options.logger.warn('Access provider returned a malformed decision', { userId, channelId });
      throw new AccessUnavailableError('The access provider returned an invalid decision; try again shortly');
    }
    return this.toDecision(parsed.data);
  }

  private toDecision(data: z.infer<typeof decisionSchema>): AccessDecision {
    const now = this.options.clock();
    const until = data.until ? Date.parse(data.until) : undefined;
    const readWindows: ReadWindow[] | undefined = data.read_windows?.map((window) => ({
      ...(window.start && { start: Date.parse(window.start) }),
      ...(window.end && { end: Date.parse(window.end) }),
    }));

    // Instants at which the decision's meaning can change: window ends and
    // `until` take effect one millisecond after the (inclusive) bound.
    const edges = [until === undefined ? undefined : until + 1, ...(readWindows ?? []).flatMap((window) => [window.start, window.end === undefined ? undefined : window.end + 1])];
    const futureEdges = edges.filter((edge): edge is number => edge !== undefined && edge > now);
    const validUntil = Math.min(now + this.options.cacheSeconds * 1000, ...futureEdges);

    return {
      mode: data.mode,
      ...(data.mode === 'ARCHIVE_UNTIL' && { until }),
      ...(readWindows && { readWindows }),
      validUntil,
    };
  }

  private remember(cacheKey: string, decision: AccessDecision): void {
    if (this.cache.size >= MAX_CACHE_ENTRIES) {
      const oldest = this.cache.keys().next().value;
      if (oldest !== undefined) this.cache.delete(oldest);
    }
    this.cache.set(cacheKey, decision);
  }
}
