export interface WaitOptions {
  /** What the test waits for, for the timeout message. */
  readonly description: string;
  /** @default 5000 */
  readonly timeoutMs?: number;
  /** @default 20 */
  readonly intervalMs?: number;
}

/**
 * Polls `probe` until it returns a value other than undefined or false, and
 * returns that value. Throws when `timeoutMs` passes first, so a test that
 * waits for an event fails with a message instead of hanging.
 */
export async function waitFor<T>(probe: () => T | undefined | false | Promise<T | undefined | false>, options: WaitOptions): Promise<T> {
  const timeoutMs = options.timeoutMs ?? 5000;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() >= deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${options.description}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 20));
  }
}
