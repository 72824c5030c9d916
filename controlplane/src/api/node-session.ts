// One agent's connection, after a successful hello: what the control plane knows of the node's
// liveness and resource use, and the dispatcher for the messages the agent sends.

import { isDeepStrictEqual } from 'node:util';
import {
  formatMi,
  isoNow,
  type AgentMessage,
  type Channel,
  type Clock,
  type ControlPlaneMessage,
  type Heartbeat,
  type Hello,
  type Logger,
  type NodeMetrics,
  type Pod,
  type PodMetrics,
  type PodStatusUpdate,
} from '@kip/shared';
import type { EventRecorder } from '../events.js';
import type { Store } from '../store/store.js';
import { agentExited, isLoopback } from './agent-process.js';
import { KUBELET_CONDITIONS } from './disruption-target.js';
import type { Registry } from './registry.js';
import type { ExecOptions, ExecSink, RemoteExec } from './exec.js';
import type { LogOptions } from './rest.js';

export interface NodeSessionDeps {
  store: Store;
  registry: Registry;
  recorder: EventRecorder;
  log: Logger;
  clock: Clock;
  now(): number;
  /** The agent spoke (hello or heartbeat): renew its node's Lease, when control planes share one store. */
  onHeartbeat?(nodeName: string): void;
}

/**
 * An event's message and reason are cut to these lengths, as Kubernetes limits an event's note to
 * 1 KiB: the control plane keeps thousands of events, and an agent's frame may be 64 MiB.
 */
export const MAX_EVENT_MESSAGE = 1024;
export const MAX_EVENT_REASON = 128;

function clip(s: string, max: number): string {
  return s.length <= max ? s : `${s.slice(0, max - 3)}...`;
}

type LogSink = { data(chunk: Uint8Array): void; end(error?: string): void };

export class NodeSession {
  readonly nodeName: string;
  readonly pid: number;
  /** The agent process's secret id (Hello.node.instance), when it sent one. */
  readonly instance: string | undefined;
  readonly connectedAtMs: number;
  /** The agent connected from this host's loopback: its process can be looked at. */
  readonly local: boolean;
  /** Set once its process is known to have exited (a local agent whose connection closed). */
  exited = false;
  open = true;
  /** Set when a newer connection of the same node took over; its close is not a disconnect. */
  superseded = false;
  closedAtMs?: number;
  lastHeartbeatMs: number;
  private usage?: Heartbeat['usage'];
  private usageAtMs = 0;
  private readonly logs = new Map<number, LogSink>();
  private nextLogId = 1;
  private readonly execs = new Map<number, ExecSink>();
  private nextExecId = 1;

  constructor(
    readonly channel: Channel<AgentMessage, ControlPlaneMessage>,
    hello: Hello,
    private readonly deps: NodeSessionDeps,
    remoteAddress?: string,
  ) {
    this.nodeName = hello.node.name;
    this.pid = hello.node.pid;
    this.instance = hello.node.instance;
    this.local = isLoopback(remoteAddress);
    this.connectedAtMs = deps.now();
    this.lastHeartbeatMs = this.connectedAtMs;
  }

  send(msg: ControlPlaneMessage): boolean {
    return this.channel.send(msg);
  }

  handle(msg: AgentMessage): void {
    switch (msg.type) {
      case 'hello':
        this.channel.close(1002, 'hello sent twice');
        return;
      case 'heartbeat':
        this.lastHeartbeatMs = this.deps.now();
        this.deps.onHeartbeat?.(this.nodeName);
        if (msg.usage) {
          this.usage = msg.usage;
          this.usageAtMs = this.lastHeartbeatMs;
        }
        return;
      case 'podStatus':
        for (const u of msg.updates) this.applyStatus(u);
        return;
      case 'podTerminated': {
        // Only the pod's own node can say it stopped: another node's word would remove a pod whose
        // processes may still run, and let its replacement start beside them.
        const pod = this.deps.store.get<Pod>('Pod', msg.namespace, msg.name);
        if (pod?.spec.nodeName !== this.nodeName) return;
        this.deps.registry.finalizePod(msg);
        return;
      }
      case 'events':
        for (const e of msg.events) {
          const apiVersion = e.involvedObject.kind === 'Pod' || e.involvedObject.kind === 'Node' ? 'v1' : undefined;
          this.deps.recorder.record({ apiVersion, ...e.involvedObject }, e.type, clip(e.reason, MAX_EVENT_REASON), clip(e.message, MAX_EVENT_MESSAGE), {
            component: 'kubelet',
            host: this.nodeName,
          });
        }
        return;
      case 'logData':
        this.logs.get(msg.id)?.data(msg.data);
        return;
      case 'logEnd': {
        const sink = this.logs.get(msg.id);
        this.logs.delete(msg.id);
        sink?.end(msg.error);
        return;
      }
      case 'execOutput':
        this.execs.get(msg.id)?.output(msg.stream, msg.data);
        return;
      case 'execExit': {
        const sink = this.execs.get(msg.id);
        this.execs.delete(msg.id);
        sink?.exit({ ...(msg.exitCode !== undefined ? { exitCode: msg.exitCode } : {}), ...(msg.error !== undefined ? { error: msg.error } : {}) });
        return;
      }
      default: {
        const never: never = msg;
        throw new Error(`unhandled message ${(never as { type: string }).type}`);
      }
    }
  }

  /** Writes what the node reports of a pod, if the pod is still the one bound here. */
  private applyStatus(u: PodStatusUpdate): void {
    const pod = this.deps.store.get<Pod>('Pod', u.namespace, u.name);
    if (!pod || pod.metadata.uid !== u.uid || pod.spec.nodeName !== this.nodeName) return;
    const status = structuredClone(u.status);
    // Conditions the kubelet does not own (PodScheduled, DisruptionTarget) stay as others wrote them.
    const kept = (pod.status?.conditions ?? []).filter((c) => !KUBELET_CONDITIONS.has(c.type));
    if (kept.length > 0) {
      const keptTypes = new Set(kept.map((c) => c.type));
      status.conditions = [...kept, ...(status.conditions ?? []).filter((c) => !keptTypes.has(c.type))];
    }
    if (isDeepStrictEqual(status, pod.status)) return;
    try {
      this.deps.registry.updateStatus({ ...pod, status });
    } catch (err) {
      this.deps.log.warn('could not write pod status', { node: this.nodeName, pod: `${u.namespace}/${u.name}`, error: err });
    }
  }

  /** Whether the agent process is known to be gone: only a closed local session can tell. */
  agentGone(): boolean {
    if (!this.exited && !this.open && this.local) this.exited = agentExited(this.pid, this.nodeName);
    return this.exited;
  }

  onClose(): void {
    this.open = false;
    this.closedAtMs = this.deps.now();
    for (const sink of this.logs.values()) sink.end(`node ${this.nodeName} disconnected`);
    this.logs.clear();
    for (const sink of this.execs.values()) sink.exit({ error: `node ${this.nodeName} disconnected` });
    this.execs.clear();
  }

  streamLogs(opts: LogOptions, sink: LogSink): () => void {
    const id = this.nextLogId++;
    this.logs.set(id, sink);
    this.send({ type: 'logRequest', id, ...opts });
    return () => {
      if (!this.logs.delete(id)) return;
      this.send({ type: 'logCancel', id });
    };
  }

  /** Runs a command in a container of this node (kubectl exec); the handle feeds and ends it. */
  exec(opts: ExecOptions, sink: ExecSink): RemoteExec {
    const id = this.nextExecId++;
    this.execs.set(id, sink);
    this.send({ type: 'execStart', id, ...opts });
    const live = () => this.execs.has(id);
    return {
      input: (data) => live() && this.send({ type: 'execInput', id, data }),
      eof: () => live() && this.send({ type: 'execInput', id, eof: true }),
      cancel: () => {
        if (this.execs.delete(id)) this.send({ type: 'execCancel', id });
      },
    };
  }

  nodeMetrics(): NodeMetrics | undefined {
    if (!this.usage) return undefined;
    return {
      apiVersion: 'metrics.k8s.io/v1beta1',
      kind: 'NodeMetrics',
      metadata: { name: this.nodeName, creationTimestamp: isoNow(this.deps.clock) },
      timestamp: new Date(this.usageAtMs).toISOString(),
      window: '1s',
      usage: { cpu: `${Math.round(this.usage.cpu)}m`, memory: formatMi(this.usage.memory) },
    };
  }

  podMetrics(namespace?: string): PodMetrics[] {
    if (!this.usage) return [];
    return this.usage.pods
      .filter((p) => namespace === undefined || p.namespace === namespace)
      .map((p) => ({
        apiVersion: 'metrics.k8s.io/v1beta1',
        kind: 'PodMetrics',
        metadata: { name: p.name, namespace: p.namespace, creationTimestamp: isoNow(this.deps.clock) },
        timestamp: new Date(this.usageAtMs).toISOString(),
        window: '1s',
        containers: p.containers.map((c) => ({ name: c.name, usage: { cpu: `${Math.round(c.cpu)}m`, memory: formatMi(c.memory) } })),
      }));
  }
}
