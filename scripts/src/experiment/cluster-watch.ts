// What the cluster says while an experiment runs: its Events (node, pod, workload and fault
// events, watched from /api/v1/events) and its nodes' Ready condition (watched on the Nodes
// themselves, since a condition can change without an Event). Each is stamped with the moment
// the runner saw it: Event timestamps have whole seconds only, too coarse for a failover.

import { nodeCondition, resourceByKind, ApiStatusError, type Event, type KObject, type Node, type WatchEvent, type ApiClient } from '@kip/shared';
import type { ObservedEvent } from './report.js';
import { sleep } from './sleep.js';

/** An observation as the report has it, but stamped in wall-clock ms since the epoch. */
export type ClusterObservation = Omit<ObservedEvent, 'atMs'> & { at: number };

/** The observation an Event makes, or undefined for an event of another namespace or a repeat already seen. */
export function observeEvent(ev: Event, namespace: string, seenCounts: Map<string, number>, at: number): ClusterObservation | undefined {
  const inv = ev.involvedObject;
  if (inv.kind !== 'Node' && (ev.metadata.namespace ?? inv.namespace) !== namespace) return undefined;
  const key = ev.metadata.uid ?? `${ev.metadata.namespace}/${ev.metadata.name}`;
  const count = ev.count ?? 1;
  if ((seenCounts.get(key) ?? 0) >= count) return undefined;
  seenCounts.set(key, count);
  return {
    at,
    object: `${inv.kind}/${inv.name}`,
    reason: ev.reason,
    message: ev.message,
    type: ev.type === 'Warning' ? 'Warning' : 'Normal',
    source: 'event',
    ...(count > 1 ? { count } : {}),
  };
}

/** A node's Ready condition as one word: True, False, Unknown, or Missing. */
export function readyOf(node: Node): string {
  return nodeCondition(node, 'Ready')?.status ?? 'Missing';
}

/** The observation a node change makes: its Ready condition moved, or it joined or left. */
export function observeNode(type: WatchEvent['type'], node: Node, before: string | undefined, at: number): ClusterObservation | undefined {
  const name = node.metadata.name;
  const object = `Node/${name}`;
  if (type === 'DELETED') return { at, object, reason: 'NodeDeleted', message: `node ${name} was deleted`, type: 'Warning', source: 'node' };
  const now = readyOf(node);
  if (before === now) return undefined;
  const c = nodeCondition(node, 'Ready');
  const why = [c?.reason, c?.message].filter(Boolean).join(': ');
  if (before === undefined)
    return { at, object, reason: 'NodeJoined', message: `node ${name} joined, Ready=${now}${why ? ` (${why})` : ''}`, type: 'Normal', source: 'node' };
  return {
    at,
    object,
    reason: `Ready=${now}`,
    message: `Ready ${before} -> ${now}${why ? ` (${why})` : ''}`,
    type: now === 'True' ? 'Normal' : 'Warning',
    source: 'node',
  };
}

export class ClusterWatcher {
  readonly observations: ClusterObservation[] = [];
  private readonly stopper = new AbortController();
  private readonly seenCounts = new Map<string, number>();
  private readonly ready = new Map<string, string>();
  private loops: Promise<void>[] = [];

  constructor(
    private readonly api: ApiClient,
    private readonly namespace: string,
    private readonly onObservation?: (o: ClusterObservation) => void,
  ) {}

  private add(o: ClusterObservation | undefined): void {
    if (!o) return;
    this.observations.push(o);
    this.onObservation?.(o);
  }

  /** The nodes' Ready conditions now, as last seen. */
  get nodeReady(): ReadonlyMap<string, string> {
    return this.ready;
  }

  /** Lists what is there now (not reported), then follows changes until stop(). */
  async start(): Promise<void> {
    const events = await this.listEvents(true);
    const nodes = await this.listNodes(true);
    this.loops = [this.follow<Event>('Event', events, (ev) => this.onEvent(ev)), this.follow<Node>('Node', nodes, (ev) => this.onNode(ev))];
  }

  private async listEvents(quiet: boolean): Promise<string | undefined> {
    const list = await this.api.list<Event>(resourceByKind('Event')!, undefined);
    for (const ev of list.items) {
      const o = observeEvent(ev, this.namespace, this.seenCounts, Date.now());
      if (!quiet) this.add(o);
    }
    return list.metadata.resourceVersion;
  }

  private async listNodes(quiet: boolean): Promise<string | undefined> {
    const list = await this.api.list<Node>(resourceByKind('Node')!, undefined);
    for (const n of list.items) {
      const before = this.ready.get(n.metadata.name);
      this.ready.set(n.metadata.name, readyOf(n));
      if (!quiet) this.add(observeNode('MODIFIED', n, before, Date.now()));
    }
    return list.metadata.resourceVersion;
  }

  private onEvent(ev: WatchEvent<Event>): void {
    if (ev.type === 'DELETED') return;
    this.add(observeEvent(ev.object, this.namespace, this.seenCounts, Date.now()));
  }

  private onNode(ev: WatchEvent<Node>): void {
    const name = ev.object.metadata.name;
    const before = this.ready.get(name);
    if (ev.type === 'DELETED') this.ready.delete(name);
    else this.ready.set(name, readyOf(ev.object));
    this.add(observeNode(ev.type, ev.object, before, Date.now()));
  }

  /** Watches from `rv`, again from the last version seen when the stream ends, relisting on 410 Gone. */
  private async follow<T extends KObject>(kind: 'Event' | 'Node', rv: string | undefined, handle: (ev: WatchEvent<T>) => void): Promise<void> {
    const signal = this.stopper.signal;
    let version = rv;
    while (!signal.aborted) {
      try {
        await this.api.watch<T>(resourceByKind(kind)!, undefined, { ...(version ? { resourceVersion: version } : {}), signal }, (ev) => {
          version = ev.object.metadata.resourceVersion ?? version;
          handle(ev);
        });
      } catch (err) {
        if (signal.aborted) break;
        if (err instanceof ApiStatusError && err.httpCode === 410) {
          // Missed changes: list again and report what differs (events not seen, Ready flips).
          version = await (kind === 'Event' ? this.listEvents(false) : this.listNodes(false)).catch(() => undefined);
          continue;
        }
      }
      await sleep(300, signal).catch(() => {});
    }
  }

  async stop(): Promise<void> {
    this.stopper.abort();
    await Promise.all(this.loops);
  }
}
