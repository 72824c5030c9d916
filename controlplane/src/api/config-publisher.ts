// Sends each agent the ConfigMaps and Secrets that the pods bound to its node reference, and no
// others: Kubernetes' Node authorizer, done by pushing instead of answering reads. A node gets the
// full set right after its welcome (before its pods, so that they start with their config), then
// a delta whenever a referenced object changes or goes, or a pod starts or stops referencing one.
//
// The publisher watches pods before the agent endpoint does (server.ts starts it first), so over
// each connection an object a newly bound pod needs goes out before the pod itself.

import {
  configRefKey,
  podConfigRefs,
  type ConfigMap,
  type ConfigObjectRef,
  type ConfigObjects,
  type ControlPlaneMessage,
  type Logger,
  type Pod,
  type Secret,
} from '@kip/shared';
import type { Store, StoreEvent, Unsubscribe } from '../store/store.js';

export interface ConfigSink {
  /** The open session of a node, if it has one. */
  session(nodeName: string): { send(msg: ControlPlaneMessage): boolean } | undefined;
}

type ConfigObject = ConfigMap | Secret;

interface PodRefs {
  node: string;
  refs: ConfigObjectRef[];
}

export class ConfigPublisher {
  /** pod uid -> its node and what it references */
  private readonly pods = new Map<string, PodRefs>();
  /** node -> ref key -> how many of its pods reference it */
  private readonly nodes = new Map<string, Map<string, { ref: ConfigObjectRef; pods: number }>>();
  private unsubscribe: Unsubscribe[] = [];

  constructor(
    private readonly store: Store,
    private readonly sink: ConfigSink,
    private readonly log: Logger,
  ) {}

  start(): void {
    for (const p of this.store.list<Pod>('Pod').items) this.podChanged(p, false);
    this.unsubscribe = [
      this.store.watch({ kind: 'Pod' }, (ev) => this.podChanged(ev.object as Pod, ev.type === 'DELETED')),
      this.store.watch({ kind: 'ConfigMap' }, (ev) => this.objectChanged(ev)),
      this.store.watch({ kind: 'Secret' }, (ev) => this.objectChanged(ev)),
    ];
  }

  stop(): void {
    for (const u of this.unsubscribe) u();
    this.unsubscribe = [];
  }

  /** Everything a node may read now, for an agent that just connected. */
  snapshot(node: string): ConfigObjects {
    const objects: ConfigObject[] = [];
    for (const { ref } of this.nodes.get(node)?.values() ?? []) {
      const obj = this.lookup(ref);
      if (obj) objects.push(obj);
    }
    return { type: 'configObjects', full: true, objects };
  }

  /** Whether a node may read an object: one of its pods references it. */
  mayRead(node: string, ref: ConfigObjectRef): boolean {
    return (this.nodes.get(node)?.get(configRefKey(ref))?.pods ?? 0) > 0;
  }

  private lookup(ref: ConfigObjectRef): ConfigObject | undefined {
    return this.store.get<ConfigObject>(ref.kind, ref.namespace, ref.name);
  }

  private podChanged(pod: Pod, deleted: boolean): void {
    const uid = pod.metadata.uid ?? '';
    const before = this.pods.get(uid);
    const node = deleted ? '' : (pod.spec.nodeName ?? '');
    const refs = node ? podConfigRefs(pod.metadata.namespace ?? 'default', pod.spec) : [];
    // A bound pod's spec does not change what it references; only binding and deletion do.
    if (before && before.node === node && before.refs.length === refs.length) return;
    if (node && refs.length > 0) this.pods.set(uid, { node, refs });
    else this.pods.delete(uid);
    if (before) this.release(before);
    if (node && refs.length > 0) this.acquire({ node, refs });
  }

  private acquire({ node, refs }: PodRefs): void {
    let held = this.nodes.get(node);
    if (!held) this.nodes.set(node, (held = new Map()));
    const objects: ConfigObject[] = [];
    for (const ref of refs) {
      const key = configRefKey(ref);
      const entry = held.get(key);
      if (entry) {
        entry.pods++;
        continue;
      }
      held.set(key, { ref, pods: 1 });
      const obj = this.lookup(ref);
      if (obj) objects.push(obj);
    }
    if (objects.length > 0) this.send(node, { type: 'configObjects', full: false, objects });
  }

  private release({ node, refs }: PodRefs): void {
    const held = this.nodes.get(node);
    if (!held) return;
    const remove: ConfigObjectRef[] = [];
    for (const ref of refs) {
      const key = configRefKey(ref);
      const entry = held.get(key);
      if (!entry || --entry.pods > 0) continue;
      held.delete(key);
      remove.push(ref);
    }
    if (held.size === 0) this.nodes.delete(node);
    if (remove.length > 0) this.send(node, { type: 'configObjects', full: false, objects: [], remove });
  }

  private objectChanged(ev: StoreEvent): void {
    const obj = ev.object as ConfigObject;
    const ref: ConfigObjectRef = { kind: obj.kind, namespace: obj.metadata.namespace ?? 'default', name: obj.metadata.name };
    const key = configRefKey(ref);
    for (const [node, held] of this.nodes) {
      if (!held.has(key)) continue;
      this.send(
        node,
        ev.type === 'DELETED' ? { type: 'configObjects', full: false, objects: [], remove: [ref] } : { type: 'configObjects', full: false, objects: [obj] },
      );
    }
  }

  private send(node: string, msg: ConfigObjects): void {
    const session = this.sink.session(node);
    if (!session) return;
    session.send(msg);
    this.log.debug('config objects sent', { node, objects: msg.objects.length, removed: msg.remove?.length ?? 0 });
  }
}
