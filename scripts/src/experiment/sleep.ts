// Waiting that a Ctrl-C can cut short: every wait of a run goes through here, so that an
// interrupted experiment stops waiting at once and goes on to clean up.

/** The run was interrupted (Ctrl-C, SIGTERM) before it could finish. */
export class InterruptedError extends Error {
  readonly code = 'Interrupted';
  constructor(message = 'interrupted') {
    super(message);
    this.name = 'InterruptedError';
  }
}

/** Resolves after `ms`, or rejects with InterruptedError as soon as `signal` aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(new InterruptedError());
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(new InterruptedError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, ms));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Sleeps until the wall-clock time `at` (ms since the epoch). */
export function sleepUntil(at: number, signal?: AbortSignal): Promise<void> {
  return sleep(at - Date.now(), signal);
}
