// The WebSocket endpoint agents connect to. It runs the handshake (hello -> welcome | refuse),
// registers the node, sends the node its full pod set and then deltas, and takes in heartbeats,
// pod status, kubelet events and log streams. It is also where the rest of the control plane asks
// whether a node is connected (node lifecycle) and reaches a node (logs, metrics).

import type { ExecOptions, ExecSink, RemoteExec } from './exec.js';
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { isDeepStrictEqual } from 'node:util';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  Channel,
  CloseCode,
  MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
  decodeFromAgent,
  encode,
  isDNS1123Subdomain,
  isQuantity,
  type AgentMessage,
  type Clock,
  type ControlPlaneMessage,
  type Hello,
  type Logger,
  type NodeMetrics,
  type Pod,
  type PodMetrics,
  type RefuseReason,
  type Timing,
} from '@kip/shared';
import type { EventRecorder } from '../events.js';
import type { Store, StoreEvent } from '../store/store.js';
import { ApiError } from './errors.js';
import { registerNode } from './node-registration.js';
import type { PodCidrAllocator } from './pod-cidr.js';
import type { Registry } from './registry.js';
import type { LogOptions, NodeAccess } from './rest.js';
import { NodeSession } from './node-session.js';
import { tokenMatches } from '../token.js';

/** An agent that has not said hello within this is cut off. */
const HELLO_TIMEOUT_MS = 10_000;

export interface NodeHealth {
  connected: boolean;
  /** ms since epoch of the last heartbeat (or of the hello), as this control plane received it */
  lastHeartbeatMs: number;
  /** when the connection closed, if it is closed */
  disconnectedAtMs?: number;
  /** the agent ran on this host and its process has exited */
  agentGone: boolean;
}

export interface AgentEndpointOptions {
  store: Store;
  registry: Registry;
  recorder: EventRecorder;
  cidrs: PodCidrAllocator;
  log: Logger;
  clock: Clock;
  joinToken: string;
  timing: Timing;
  /**
   * Messages a node gets right after its welcome and before its pods (the routing table, so pods
   * start with their services' env; the faults it must enforce): one provider per concern.
   */
  initialMessages?: ((nodeName: string) => ControlPlaneMessage[])[];
  /** The agent spoke (hello or heartbeat): renew its node's Lease, when control planes share one store. */
  onHeartbeat?(nodeName: string): void;
  /** The node's agent is connected to another control plane on the same store (its Lease is fresh). */
  connectedElsewhere?(nodeName: string): boolean;
}

export class AgentEndpoint implements NodeAccess {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });
  /** The current session of each node: open, or the last one that closed. */
  private readonly sessions = new Map<string, NodeSession>();
  private unwatch?: () => void;

  constructor(private readonly opts: AgentEndpointOptions) {}

  start(): void {
    this.unwatch = this.opts.store.watch({ kind: 'Pod' }, (ev) => this.routePodEvent(ev));
  }

  stop(): void {
    this.unwatch?.();
    for (const s of this.sessions.values()) s.channel.close(CloseCode.GoingAway, 'control plane shutting down');
    this.wss.close();
  }

  /** Called from the HTTP server's 'upgrade' event for the agent path. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => this.accept(ws, req.socket.remoteAddress ?? '?'));
  }

  private accept(ws: WebSocket, remote: string): void {
    const { log } = this.opts;
    let session: NodeSession | undefined;
    const timer = setTimeout(() => channel.close(CloseCode.ProtocolError, 'no hello within 10s'), HELLO_TIMEOUT_MS);
    timer.unref();
    const channel: Channel<AgentMessage, ControlPlaneMessage> = new Channel(
      ws,
      decodeFromAgent,
      {
        message: (msg) => {
          if (!session) {
            clearTimeout(timer);
            if (msg.type !== 'hello') {
              channel.close(CloseCode.ProtocolError, `expected hello, got ${msg.type}`);
              return;
            }
            session = this.hello(channel, msg, remote);
            return;
          }
          try {
            session.handle(msg);
          } catch (err) {
            log.error('failed to handle agent message', { node: session.nodeName, type: msg.type, error: err });
          }
        },
        close: (code, reason) => {
          clearTimeout(timer);
          if (session) this.closed(session, code, reason);
        },
      },
      (err) => log.warn('closing agent connection: bad frame', { node: session?.nodeName, remote, error: err.message }),
    );
  }

  private refuse(channel: Channel<AgentMessage, ControlPlaneMessage>, reason: RefuseReason, message: string, node: string): undefined {
    this.opts.log.warn('refused agent', { node, reason, message });
    channel.send({ type: 'refuse', reason, message });
    channel.close(CloseCode.Refused, `${reason}: ${message}`);
    return undefined;
  }

  private hello(channel: Channel<AgentMessage, ControlPlaneMessage>, hello: Hello, remote: string): NodeSession | undefined {
    const { clock, timing, log } = this.opts;
    const name = hello.node.name;
    if (hello.protocol !== PROTOCOL_VERSION)
      return this.refuse(
        channel,
        'ProtocolVersion',
        `protocol version ${hello.protocol} is not supported; this control plane speaks version ${PROTOCOL_VERSION}`,
        name,
      );
    if (!tokenMatches(hello.token, this.opts.joinToken))
      return this.refuse(channel, 'BadToken', 'the join token is wrong; agents need the token from the control plane data dir (<data-dir>/token)', name);
    if (!isDNS1123Subdomain(name)) return this.refuse(channel, 'Invalid', `node name "${name}" must be a lowercase RFC 1123 subdomain`, name);
    for (const [k, v] of Object.entries(hello.node.capacity))
      if (!isQuantity(v)) return this.refuse(channel, 'Invalid', `capacity ${k}: "${String(v)}" is not a quantity`, name);
    const existing = this.sessions.get(name);
    if (existing?.open) {
      const alive = clock.now() - existing.lastHeartbeatMs < timing.nodeMonitorGracePeriodMs;
      // The same process reconnecting says the instance id only it and this control plane know;
      // a pid alone is public (status.nodeInfo.agentPid) and would let anyone with the join token
      // take a live node's session over.
      const sameAgent = existing.instance !== undefined ? existing.instance === hello.node.instance : existing.pid === hello.node.pid;
      if (alive && !sameAgent)
        return this.refuse(channel, 'DuplicateNode', `node ${name} is already connected (agent pid ${existing.pid}); choose another --name`, name);
      existing.superseded = true;
      existing.channel.close(CloseCode.Replaced, 'replaced by a new connection from the same node');
    }
    let podCIDR: string;
    try {
      podCIDR = registerNode(this.opts, hello);
    } catch (err) {
      return this.refuse(channel, 'Invalid', `could not register node: ${(err as Error).message}`, name);
    }
    const session = new NodeSession(
      channel,
      hello,
      {
        ...this.opts,
        now: () => clock.now(),
      },
      remote,
    );
    this.sessions.set(name, session);
    this.opts.onHeartbeat?.(name);
    log.info('node connected', { node: name, pid: hello.node.pid, podCIDR, runningPods: hello.pods.length });
    channel.send({ type: 'welcome', nodeName: name, podCIDR, timing });
    for (const provide of this.opts.initialMessages ?? []) for (const m of provide(name)) channel.send(m);
    const pods = this.opts.store.list<Pod>('Pod', { filter: (p) => (p as Pod).spec.nodeName === name }).items;
    channel.send({ type: 'podSync', pods });
    return session;
  }

  private closed(session: NodeSession, code: number, reason: string): void {
    session.onClose();
    if (session.superseded) return;
    this.opts.log.info('node disconnected', { node: session.nodeName, code, reason: reason || undefined });
  }

  /** Sends pod changes to the node they are bound to; status-only changes (the node's own reports) are not echoed. */
  private routePodEvent(ev: StoreEvent): void {
    const pod = ev.object as Pod;
    const node = pod.spec.nodeName;
    if (!node) return;
    const session = this.sessions.get(node);
    if (!session?.open) return;
    if (ev.type === 'DELETED') {
      session.send({ type: 'podRemove', namespace: pod.metadata.namespace!, name: pod.metadata.name, uid: pod.metadata.uid! });
      return;
    }
    if (ev.type === 'MODIFIED' && !specOrMetaChanged(ev.oldObject as Pod, pod)) return;
    session.send({ type: 'podUpsert', pod });
  }

  health(nodeName: string): NodeHealth | undefined {
    const s = this.sessions.get(nodeName);
    if (!s) return undefined;
    return { connected: s.open, lastHeartbeatMs: s.lastHeartbeatMs, disconnectedAtMs: s.closedAtMs, agentGone: s.agentGone() };
  }

  /** A node can stop a pod gracefully if its agent is connected and heartbeating. */
  canTerminate(nodeName: string): boolean {
    const s = this.sessions.get(nodeName);
    return !!s?.open && this.opts.clock.now() - s.lastHeartbeatMs < this.opts.timing.nodeMonitorGracePeriodMs;
  }

  /** The open session of a node, for other parts of the control plane that push to agents. */
  session(nodeName: string): NodeSession | undefined {
    const s = this.sessions.get(nodeName);
    return s?.open ? s : undefined;
  }

  /** Sends a message to every connected agent, encoded once. */
  broadcast(msg: ControlPlaneMessage): void {
    let frame: Uint8Array | undefined;
    for (const s of this.sessions.values()) if (s.open) s.channel.sendFrame((frame ??= encode(msg)));
  }

  openSessions(): NodeSession[] {
    return [...this.sessions.values()].filter((s) => s.open);
  }

  streamLogs(nodeName: string, opts: LogOptions, sink: { data(chunk: Uint8Array): void; end(error?: string): void }): () => void {
    const s = this.session(nodeName);
    if (!s) throw this.unreachable(nodeName, `the logs of pod ${opts.pod} cannot be reached`);
    return s.streamLogs(opts, sink);
  }

  exec(nodeName: string, opts: ExecOptions, sink: ExecSink): RemoteExec {
    const s = this.session(nodeName);
    if (!s) throw this.unreachable(nodeName, `pod ${opts.pod} cannot be reached`);
    return s.exec(opts, sink);
  }

  /**
   * Logs and exec travel over the agent's own connection, which only the control plane it is
   * connected to holds: another control plane says where to ask instead of relaying (a limit of
   * several control planes; port-forward dials the agent's tunnel and works from any of them).
   */
  private unreachable(nodeName: string, what: string): ApiError {
    if (this.opts.connectedElsewhere?.(nodeName))
      return new ApiError(
        'ServiceUnavailable',
        `node ${nodeName} is connected to another control plane; ${what} from this one: ask the control plane it is connected to`,
      );
    return new ApiError('ServiceUnavailable', `node ${nodeName} is not connected; ${what}`);
  }

  nodeMetrics(): NodeMetrics[] {
    return this.openSessions().flatMap((s) => s.nodeMetrics() ?? []);
  }

  podMetrics(namespace?: string): PodMetrics[] {
    return this.openSessions().flatMap((s) => s.podMetrics(namespace));
  }
}

function specOrMetaChanged(a: Pod | undefined, b: Pod): boolean {
  if (!a) return true;
  if (a.spec !== b.spec && !isDeepStrictEqual(a.spec, b.spec)) return true;
  const strip = (m: Pod['metadata']) => ({ ...m, resourceVersion: undefined });
  return !isDeepStrictEqual(strip(a.metadata), strip(b.metadata));
}
