// A watch stream on the API for tests: every event of a kind, as it happens, so that a test can
// assert on what happened in between its polls (a node that was NotReady for a moment, each pod
// ever created).

import type { KObject, WatchEvent } from '@kip/shared';

export class WatchRecorder<T extends KObject = KObject> {
  readonly events: WatchEvent<T>[] = [];
  private readonly abort = new AbortController();
  private readonly done: Promise<void>;

  private constructor(
    url: string,
    private readonly onEvent?: (ev: WatchEvent<T>) => void,
  ) {
    this.done = this.read(url).catch((err: unknown) => {
      if ((err as Error).name !== 'AbortError') throw err;
    });
  }

  /** Opens `path?watch=true` on the API at `base` and records every event from now on. */
  static start<T extends KObject>(base: string, path: string, onEvent?: (ev: WatchEvent<T>) => void): WatchRecorder<T> {
    const sep = path.includes('?') ? '&' : '?';
    return new WatchRecorder<T>(`${base}${path}${sep}watch=true`, onEvent);
  }

  private async read(url: string): Promise<void> {
    const res = await fetch(url, { signal: this.abort.signal });
    if (!res.ok || !res.body) throw new Error(`watch ${url}: ${res.status}`);
    const decoder = new TextDecoder();
    let rest = '';
    for await (const chunk of res.body) {
      const lines = (rest + decoder.decode(chunk as Uint8Array, { stream: true })).split('\n');
      rest = lines.pop() ?? '';
      for (const line of lines) {
        if (!line.trim()) continue;
        const ev = JSON.parse(line) as WatchEvent<T>;
        this.events.push(ev);
        this.onEvent?.(ev);
      }
    }
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.done;
  }
}
