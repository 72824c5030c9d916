// A watch stream on the API for tests: every event of a kind, as it happens, so that a test can
// assert on what happened in between its polls (a node that was NotReady for a moment, each pod
// ever created).

import { ApiClient, type KObject, type WatchEvent } from '@kip/shared';

export class WatchRecorder<T extends KObject = KObject> {
  readonly events: WatchEvent<T>[] = [];
  private readonly abort = new AbortController();
  private readonly done: Promise<void>;
  /** How the stream failed, if it did (the server went away): stop() throws it. */
  private failure: unknown;

  private constructor(client: ApiClient, path: string, onEvent?: (ev: WatchEvent<T>) => void) {
    this.done = client
      .watchPath<T>(path, {}, this.abort.signal, (ev) => {
        this.events.push(ev);
        onEvent?.(ev);
      })
      .catch((err: unknown) => {
        this.failure = err;
      });
  }

  /** Watches `path` through an API client (a TestApi's) and records every event from now on. */
  static start<T extends KObject>(api: ApiClient | { client: ApiClient }, path: string, onEvent?: (ev: WatchEvent<T>) => void): WatchRecorder<T> {
    return new WatchRecorder<T>(api instanceof ApiClient ? api : api.client, path, onEvent);
  }

  async stop(): Promise<void> {
    this.abort.abort();
    await this.done;
    if (this.failure !== undefined) throw this.failure;
  }
}
