// Waiting on a condition with a deadline, in one place for the scripts and the tests. Plain
// pauses use node:timers/promises' setTimeout; code that runs on the injected Clock waits on it.

import { setTimeout as sleep } from 'node:timers/promises';

export interface WaitOptions {
  /** How long to wait in all (default 30 s). */
  timeoutMs?: number;
  /** How long between two probes (default 100 ms). */
  intervalMs?: number;
}

/**
 * Polls `probe` until it returns something other than undefined or false, and returns that. A
 * probe that throws is tried again. On timeout, throws with `what` and the last value or error
 * seen, so a failure says what was awaited.
 */
export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false> | T | undefined | false, opts: WaitOptions = {}): Promise<T> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
      last = v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const detail = last instanceof Error ? last.message : JSON.stringify(last);
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${detail})`);
    }
    await sleep(opts.intervalMs ?? 100);
  }
}
