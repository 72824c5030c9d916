// Waiting that a Ctrl-C can cut short: every wait of a run goes through here, so that an
// interrupted experiment stops waiting at once and goes on to clean up.

import { setTimeout as delay } from 'node:timers/promises';

/** The run was interrupted (Ctrl-C, SIGTERM) before it could finish. */
export class InterruptedError extends Error {
  readonly code = 'Interrupted';
  constructor(message = 'interrupted') {
    super(message);
    this.name = 'InterruptedError';
  }
}

/** Resolves after `ms`, or rejects with InterruptedError as soon as `signal` aborts. */
export async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(Math.max(0, ms), undefined, signal ? { signal } : {});
  } catch (err) {
    if (signal?.aborted) throw new InterruptedError();
    throw err;
  }
}

/** Sleeps until the wall-clock time `at` (ms since the epoch). */
export function sleepUntil(at: number, signal?: AbortSignal): Promise<void> {
  return sleep(at - Date.now(), signal);
}
