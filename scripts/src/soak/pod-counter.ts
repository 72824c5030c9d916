// Pods created over the run, counted as a user would count them: ADDED events on a watch of
// every pod (`GET /api/v1/pods?watch=true`). A watch that ends is resumed from the last version
// seen; one that is too old (410 Gone) lists again, and a pod listed that was never seen counts
// as created then. Each pod counts once, by uid.

import { resourceByKind, ApiStatusError, type Pod, type WatchEvent, type ApiClient } from '@kip/shared';
import { sleep } from '../experiment/sleep.js';

export class PodCounter {
  /** wall-clock ms at which each new pod was seen */
  private readonly added: number[] = [];
  private readonly seen = new Set<string>();
  private readonly stopper = new AbortController();
  private loop?: Promise<void>;

  constructor(
    private readonly api: ApiClient,
    private readonly onAdded?: (pod: Pod) => void,
  ) {}

  /** Lists the pods there now (not counted), then counts every pod added from here on. */
  async start(): Promise<void> {
    const rv = await this.list(false);
    this.loop = this.follow(rv);
  }

  /** Pods created so far; with a window, only those seen in [from, to) (wall-clock ms). */
  count(from = -Infinity, to = Infinity): number {
    return this.added.filter((t) => t >= from && t < to).length;
  }

  private see(pod: Pod, counted: boolean): void {
    const uid = pod.metadata.uid ?? `${pod.metadata.namespace}/${pod.metadata.name}`;
    if (this.seen.has(uid)) return;
    this.seen.add(uid);
    if (!counted) return;
    this.added.push(Date.now());
    this.onAdded?.(pod);
  }

  private async list(counted: boolean): Promise<string | undefined> {
    const list = await this.api.list<Pod>(resourceByKind('Pod')!, undefined);
    for (const p of list.items) this.see(p, counted);
    return list.metadata.resourceVersion;
  }

  private async follow(rv: string | undefined): Promise<void> {
    const signal = this.stopper.signal;
    let version = rv;
    while (!signal.aborted) {
      try {
        await this.api.watch<Pod>(resourceByKind('Pod')!, undefined, { ...(version ? { resourceVersion: version } : {}), signal }, (ev: WatchEvent<Pod>) => {
          version = ev.object.metadata.resourceVersion ?? version;
          if (ev.type === 'ADDED') this.see(ev.object, true);
        });
      } catch (err) {
        if (signal.aborted) break;
        if (err instanceof ApiStatusError && err.httpCode === 410) {
          version = await this.list(true).catch(() => undefined);
          continue;
        }
      }
      await sleep(300, signal).catch(() => {});
    }
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    await this.loop;
  }
}
