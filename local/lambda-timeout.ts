/** The handler did not settle within its timeout, as when Lambda stops a function at its configured timeout. */
export class LambdaTimeoutError extends Error {
  override readonly name = 'LambdaTimeoutError';
}

/**
 * Waits for `invocation` for at most `timeoutMs`, then rejects with
 * LambdaTimeoutError, or with the abort reason once `signal` aborts. The
 * invocation keeps running in the background because a promise cannot be
 * cancelled, so its late result is ignored.
 */
export function withTimeout<T>(invocation: Promise<T>, timeoutMs: number, timeoutMessage: string, signal?: AbortSignal): Promise<T> {
  if (signal?.aborted) return Promise.reject(signal.reason);

  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => settle(() => reject(signal?.reason));
    const timer = setTimeout(() => settle(() => reject(new LambdaTimeoutError(timeoutMessage))), timeoutMs);
    timer.unref();
    signal?.addEventListener('abort', onAbort, { once: true });

    function settle(finish: () => void): void {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      finish();
    }

    invocation.then(
      (value) => settle(() => resolve(value)),
      (error: unknown) => settle(() => reject(error)),
    );
  });
}
