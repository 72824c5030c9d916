// Waiting for deleted objects to be gone (`delete --wait`, `drain`): a graceful delete only marks
// a pod; it disappears once its node has stopped it. The object is gone when a read says
// NotFound, or finds a new object of the same name (another uid).

import { setTimeout as delay } from 'node:timers/promises';
import { ApiStatusError, type ResourceType, type ApiClient } from '@kip/shared';
import { CliError } from './errors.js';

export interface Deleted {
  resource: ResourceType;
  namespace?: string;
  name: string;
  uid?: string;
}

export interface WaitOptions {
  /** 0 or undefined: no limit. */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Called once per object as it is seen gone, in the order they go. */
  onGone?: (d: Deleted) => void;
  /** Clock for the deadline; tests may pass their own. */
  now?: () => number;
}

const FIRST_INTERVAL_MS = 100;
const MAX_INTERVAL_MS = 1000;

/** Sleeps `ms`, or less if the signal aborts: the caller then returns. */
async function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  try {
    await delay(ms, undefined, signal ? { signal } : {});
  } catch (err) {
    if (!signal?.aborted) throw err;
  }
}

async function isGone(api: ApiClient, d: Deleted): Promise<boolean> {
  try {
    const obj = await api.get(d.resource, d.namespace, d.name);
    return d.uid !== undefined && obj.metadata.uid !== undefined && obj.metadata.uid !== d.uid;
  } catch (err) {
    if (err instanceof ApiStatusError && err.isNotFound) return true;
    throw err;
  }
}

/**
 * Resolves when every object is gone; throws CliError naming those left when the timeout passes.
 * Returns early (leaving the rest) if the signal aborts.
 */
export async function waitUntilGone(api: ApiClient, items: readonly Deleted[], opts: WaitOptions = {}): Promise<void> {
  const now = opts.now ?? Date.now;
  const deadline = opts.timeoutMs ? now() + opts.timeoutMs : Infinity;
  let pending = [...items];
  let interval = FIRST_INTERVAL_MS;
  while (pending.length > 0) {
    const still: Deleted[] = [];
    for (const d of pending) {
      if (await isGone(api, d)) opts.onGone?.(d);
      else still.push(d);
    }
    pending = still;
    if (pending.length === 0 || opts.signal?.aborted) return;
    if (now() >= deadline) {
      const names = pending.map((d) => `${d.resource.plural}/${d.name}`).join(', ');
      throw new CliError(`timed out waiting for the condition on ${names}`);
    }
    await sleep(Math.min(interval, Math.max(0, deadline - now())), opts.signal);
    interval = Math.min(MAX_INTERVAL_MS, Math.round(interval * 1.5));
  }
}
