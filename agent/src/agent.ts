// The agent's link to the control plane: one WebSocket, hello -> welcome, then the pod set and its
// deltas in, heartbeats and batched pod status out. When the control plane is away the agent keeps
// its pods running and reconnects with backoff; on return it says which pods it runs and the
// control plane's podSync settles the difference. The kubelet is created at the first welcome,
// which brings what it needs: the node's pod CIDR and the cluster's timing.

import { randomUUID } from 'node:crypto';
import { CaPinError, discoverPinnedCa } from './ca-pin.js';
import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';
import WebSocket from 'ws';
import {
  ApiClient,
  Attention,
  Backoff,
  Channel,
  CloseCode,
  KIP_VERSION,
  MAX_FRAME_BYTES,
  PROTOCOL_VERSION,
  decodeFromControlPlane,
  everyWithAttention,
  realClock,
  type AgentMessage,
  type Clock,
  type ControlPlaneMessage,
  type Faults,
  type Logger,
  type NodeAction,
  type Pod,
  type ResourceList,
  type Routes,
  type TimerHandle,
  type Timing,
} from '@kip/shared';
import type { ExecHandle } from './kubelet/exec.js';
import type { Kubelet } from './kubelet/kubelet.js';
import type { Reports } from './reports.js';
import type { ControlPlaneTarget } from './chaos/cp-connection.js';

/** This process's id for the control plane (Hello.node.instance): random, never shown. */
const AGENT_INSTANCE = randomUUID();

/** What the control plane's welcome tells this node. */
export interface Welcome {
  podCIDR: string;
  timing: Timing;
}

export interface AgentOptions {
  name: string;
  /** ws://host:port/agent/v1/connect */
  server: string;
  /**
   * Every control plane's agent URL (control planes sharing one store), `server` among them: on
   * losing one the agent fails over to the next, its pods running all along.
   */
  servers?: readonly string[];
  token: string;
  capacity: ResourceList;
  labels: Record<string, string>;
  log: Logger;
  /** Creates the kubelet, at the first welcome; later welcomes update it. */
  kubelet(welcome: Welcome): Kubelet;
  /** Pod status, events and terminations waiting to go out; sent while welcomed. */
  reports: Reports;
  /** Called when the control plane refuses this agent (bad token, duplicate name): the agent must exit. */
  onRefused(reason: string, message: string): void;
  /** The control plane's routing table (services, endpoints, pod and node addresses) for the proxy. */
  onRoutes?: (routes: Routes) => void | Promise<void>;
  /** host:port of this agent's tunnel listener, announced in the hello. */
  tunnelEndpoint?: () => string | undefined;
  /** The node's own address (--node-ip), announced in the hello: its InternalIP. */
  nodeIP?: string;
  /**
   * With onRoutes set, pods are started only once the first routing snapshot has been applied
   * (the promise onRoutes returns has settled), as the kubelet waits for services to sync, so that
   * they get their service variables; if no snapshot comes within this long they start anyway.
   */
  routesWaitMs?: number;
  /** A pod on this node has been marked for deletion: it must take no new connections. */
  onPodDeleting?: (pod: Pod) => void;
  /** Chaos from the control plane: the network faults this node enforces, and node actions. */
  onChaos?: (msg: Faults | NodeAction) => void;
  /** For a wss:// server: the CA to trust (PEM), else the system's. */
  ca?: string;
  /** For a wss:// server: the pin of its CA (kubeadm's --discovery-token-ca-cert-hash); the CA is fetched and checked against it. */
  caCertHash?: string;
  /** Opens the WebSocket's connection (chaos puts its fault stages on it); default: plain TCP. */
  createConnection?: (target: ControlPlaneTarget) => Duplex;
  clock?: Clock;
  /** Where in each second this agent's periodic work falls (untilNextTick): heartbeats share their wakeups with the kubelet's samples. */
  tickPhaseMs?: number;
}

/** How long pods wait for the first routing snapshot before they start without it. */
const DEFAULT_ROUTES_WAIT_MS = 3000;

type PodMessage = Extract<ControlPlaneMessage, { type: 'podSync' | 'podUpsert' | 'podRemove' }>;

/**
 * A control plane that sends nothing at all (no frame, no pong) for this long, in time this agent
 * was running, is abandoned and dialled again: it is stopped, or cut off by a black hole. A slow
 * answer is not silence: a busy control plane is still there.
 */
function silenceLimitMs(t: Timing | undefined): number {
  const every = t?.heartbeatIntervalMs ?? 1000;
  return Math.max(10_000, every * 5);
}

export class Agent {
  private channel?: Channel<ControlPlaneMessage, AgentMessage>;
  private welcomed = false;
  private timing?: Timing;
  private stopped = false;
  /** Exponential, with jitter, so that agents cut off together do not come back in step. */
  private readonly reconnect = new Backoff({ initialMs: 250, maxMs: 5000, jitter: 0.5 });
  private reconnectTimer?: TimerHandle;
  private stopHeartbeats?: () => void;
  /** when anything last arrived from the control plane */
  private lastHeardMs = 0;
  /** the sample whose usage the last heartbeat carried */
  private usageSent = -1;
  private readonly clock: Clock;
  /** Whether the user was told the control plane cannot be reached, since the last welcome. */
  private unreachableWarned = false;
  private lastDialError?: string;
  private readonly logStreams = new Map<number, () => void>();
  /** Running `kubectl exec` commands by the control plane's id; killed when the session ends. */
  private readonly execs = new Map<number, ExecHandle>();
  /** Created at the first welcome, which brings what it needs. */
  private welcomedKubelet: Kubelet | undefined;
  /** Pod messages held until the first routing snapshot is in place (see routesWaitMs). */
  private heldPodMessages: PodMessage[] | undefined;
  private routesWaitTimer?: TimerHandle;

  /** The control planes this agent may talk to, and the one it dials now. */
  private readonly servers: readonly string[];
  private serverIndex = 0;

  constructor(private readonly opts: AgentOptions) {
    this.clock = opts.clock ?? realClock;
    this.servers = opts.servers && opts.servers.length > 0 ? opts.servers : [opts.server];
    this.serverIndex = Math.max(0, this.servers.indexOf(opts.server));
  }

  /** The control plane this agent talks to (or dials) now. */
  get server(): string {
    return this.servers[this.serverIndex];
  }

  /** A failed dial or a lost connection: the next attempt goes to the next control plane, if there are several. */
  private failOver(): void {
    if (this.servers.length < 2) return;
    const from = this.server;
    this.serverIndex = (this.serverIndex + 1) % this.servers.length;
    this.opts.log.debug('failing over to the next control plane', { node: this.opts.name, from, to: this.server });
  }

  /** The kubelet, once the control plane has welcomed this node. */
  get kubelet(): Kubelet | undefined {
    return this.welcomedKubelet;
  }

  /** Connects, and keeps reconnecting. */
  start(): void {
    if (this.opts.onRoutes) this.heldPodMessages = [];
    this.connect();
  }

  // ---- connection ------------------------------------------------------------------------------

  /** The CA a pinned wss:// server was found to have (ca-pin.ts), once it is known. */
  private pinnedCa?: string;

  /**
   * A client of the control plane's API with the join token, which the API lets a node use only
   * for what its own pods name (their claims and volumes): the kubelet's reads beside its session.
   */
  apiClient(): ApiClient {
    const u = new URL(this.server);
    const server = `${u.protocol === 'wss:' ? 'https' : 'http'}://${u.host}`;
    const ca = this.pinnedCa ?? this.opts.ca;
    return new ApiClient({ server, token: this.opts.token, userAgent: `kip-agent/${this.opts.name}`, ...(ca ? { ca } : {}) });
  }

  /** Fetches the pinned CA before the first TLS dial; a server whose CA does not match is refused for good. */
  private discoverCa(): void {
    const u = new URL(this.server);
    discoverPinnedCa(u.hostname, Number(u.port || 443), this.opts.caCertHash!).then(
      (pem) => {
        this.pinnedCa = pem;
        this.connect();
      },
      (err: Error) => {
        if (this.stopped) return;
        if (err instanceof CaPinError) {
          this.opts.log.error(`refusing the control plane: ${err.message}`, { node: this.opts.name });
          return this.opts.onRefused('CaMismatch', err.message);
        }
        this.lastDialError = err.message;
        if (!this.unreachableWarned)
          this.opts.log.warn('cannot reach the control plane; retrying until it answers', {
            node: this.opts.name,
            server: this.server,
            error: err.message,
          });
        this.unreachableWarned = true;
        this.failOver();
        this.reconnectTimer = this.clock.setTimeout(() => this.connect(), this.reconnect.next());
      },
    );
  }

  private connect(): void {
    if (this.stopped) return;
    const { log } = this.opts;
    const secure = this.server.startsWith('wss:');
    if (secure && this.opts.caCertHash && !this.pinnedCa) return this.discoverCa();
    const ca = this.pinnedCa ?? this.opts.ca;
    // The connection goes through createConnection (chaos's fault stages) whatever the scheme: over
    // wss:// TLS runs on top of the shaped stream, so a fault on the link to the control plane is
    // felt the same with TLS as without.
    const dial = this.opts.createConnection;
    const ws = new WebSocket(this.server, {
      maxPayload: MAX_FRAME_BYTES,
      handshakeTimeout: 5000,
      ...(secure && ca ? { ca } : {}),
      ...(dial
        ? {
            createConnection: (o: { host?: string | null; hostname?: string | null; port?: number | string | null }) => {
              const host = o.hostname ?? o.host ?? '127.0.0.1';
              const raw = dial({ host, port: Number(o.port), ...(secure ? { tls: { ...(ca ? { ca } : {}) } } : {}) });
              return (
                secure ? tls.connect({ ...(o as tls.ConnectionOptions), host, servername: net.isIP(host) ? undefined : host, socket: raw }) : raw
              ) as net.Socket;
            },
          }
        : {}),
    });
    const channel = new Channel<ControlPlaneMessage, AgentMessage>(
      ws,
      decodeFromControlPlane,
      {
        message: (msg) => this.handle(msg),
        close: (code, reason) => this.disconnected(channel, code, reason),
      },
      (err) => log.warn('closing connection to control plane: bad frame', { error: err.message }),
    );
    this.channel = channel;
    ws.on('error', (err) => {
      this.lastDialError = err.message;
    });
    // Any frame counts as hearing from the control plane (the channel's messages, pings, pongs).
    ws.on('message', () => this.heard());
    ws.on('ping', () => this.heard());
    ws.on('pong', () => this.heard());
    ws.on('open', () => {
      this.heard();
      channel.send({
        type: 'hello',
        protocol: PROTOCOL_VERSION,
        token: this.opts.token,
        node: {
          name: this.opts.name,
          capacity: this.opts.capacity,
          labels: this.opts.labels,
          pid: process.pid,
          instance: AGENT_INSTANCE,
          version: KIP_VERSION,
          tunnelEndpoint: this.opts.tunnelEndpoint?.(),
          ...(this.opts.nodeIP ? { nodeIP: this.opts.nodeIP } : {}),
        },
        // Before the first welcome there is no kubelet, and nothing runs.
        pods: this.welcomedKubelet?.running() ?? [],
      });
    });
  }

  private disconnected(channel: Channel<ControlPlaneMessage, AgentMessage>, code: number, reason: string): void {
    if (channel !== this.channel) return;
    const wasWelcomed = this.welcomed;
    this.welcomed = false;
    this.channel = undefined;
    this.opts.reports.disconnected();
    this.stopHeartbeats?.();
    for (const cancel of this.logStreams.values()) cancel();
    this.logStreams.clear();
    for (const e of this.execs.values()) e.cancel();
    this.execs.clear();
    if (this.stopped) return;
    if (code === CloseCode.Refused) return; // handled with the refuse message
    const delay = this.reconnect.next();
    if (wasWelcomed) {
      this.opts.log.warn('lost the control plane; pods keep running; reconnecting', { node: this.opts.name, code, reason: reason || undefined });
      this.unreachableWarned = true;
    } else if (!this.unreachableWarned) {
      // Said once, so that an agent pointed at the wrong --server does not wait in silence.
      this.opts.log.warn('cannot reach the control plane; retrying until it answers', {
        node: this.opts.name,
        server: this.server,
        error: this.lastDialError ?? (reason || `closed with code ${code}`),
      });
      this.unreachableWarned = true;
    } else this.opts.log.debug('control plane not reachable; retrying', { node: this.opts.name, inMs: delay, error: this.lastDialError });
    this.lastDialError = undefined;
    this.failOver();
    this.reconnectTimer = this.clock.setTimeout(() => this.connect(), delay);
  }

  private handle(msg: ControlPlaneMessage): void {
    const { log } = this.opts;
    switch (msg.type) {
      case 'welcome':
        this.welcomed = true;
        this.unreachableWarned = false;
        this.reconnect.reset();
        this.timing = msg.timing;
        if (this.welcomedKubelet) {
          this.welcomedKubelet.setPodCIDR(msg.podCIDR);
          this.welcomedKubelet.setTiming(msg.timing);
        } else this.welcomedKubelet = this.opts.kubelet({ podCIDR: msg.podCIDR, timing: msg.timing });
        if (this.channel) this.opts.reports.connected(this.channel, msg.timing.statusBatchMs);
        log.info('joined the cluster', { node: msg.nodeName, podCIDR: msg.podCIDR });
        this.startHeartbeats();
        return;
      case 'refuse':
        log.error(`the control plane refused this agent: ${msg.message}`, { node: this.opts.name, reason: msg.reason });
        this.stopped = true;
        this.opts.onRefused(msg.reason, msg.message);
        return;
      case 'podSync':
      case 'podUpsert':
      case 'podRemove':
        if (this.heldPodMessages) this.hold(msg);
        else this.handlePods(msg);
        return;
      case 'logRequest': {
        const id = msg.id;
        if (!this.welcomedKubelet) {
          this.channel?.send({ type: 'logEnd', id, error: 'the node has not joined the cluster yet' });
          return;
        }
        const cancel = this.welcomedKubelet.streamLogs(msg, {
          data: (chunk) => this.channel?.send({ type: 'logData', id, data: chunk }),
          end: (error) => {
            this.logStreams.delete(id);
            this.channel?.send({ type: 'logEnd', id, ...(error ? { error } : {}) });
          },
        });
        this.logStreams.set(id, cancel);
        return;
      }
      case 'logCancel':
        this.logStreams.get(msg.id)?.();
        this.logStreams.delete(msg.id);
        return;
      case 'execStart': {
        const id = msg.id;
        if (!this.welcomedKubelet) {
          this.channel?.send({ type: 'execExit', id, error: 'the node has not joined the cluster yet' });
          return;
        }
        const sink = {
          output: (stream: 1 | 2, data: Uint8Array) => this.channel?.send({ type: 'execOutput', id, stream, data }),
          exit: (result: { exitCode?: number; error?: string }) => {
            this.execs.delete(id);
            this.channel?.send({ type: 'execExit', id, ...result });
          },
        };
        const handle = msg.attach ? this.welcomedKubelet.attach(msg, sink) : this.welcomedKubelet.exec(msg, sink);
        this.execs.set(id, handle);
        return;
      }
      case 'execInput': {
        const e = this.execs.get(msg.id);
        if (msg.data) e?.input(msg.data);
        if (msg.eof) e?.eof();
        return;
      }
      case 'execCancel':
        this.execs.get(msg.id)?.cancel();
        this.execs.delete(msg.id);
        return;
      case 'routes': {
        const applied = this.opts.onRoutes?.(msg);
        if (msg.full && this.heldPodMessages) {
          void Promise.resolve(applied)
            .catch((err: unknown) => log.warn('routing snapshot not fully applied', { error: (err as Error).message }))
            .finally(() => this.releasePods());
        }
        return;
      }
      case 'faults':
      case 'nodeAction':
        this.opts.onChaos?.(msg);
        return;
      case 'configObjects':
        // Sent after the welcome, which created the kubelet, and before the pods that use them.
        this.welcomedKubelet?.applyConfig(msg);
        return;
      default: {
        const never: never = msg;
        log.warn('ignoring unknown message', { type: (never as { type: string }).type });
      }
    }
  }

  private handlePods(msg: PodMessage): void {
    const kubelet = this.welcomedKubelet;
    if (!kubelet) {
      // The control plane sends the welcome first; a pod message before it is a broken peer.
      this.opts.log.warn('ignoring a pod message that came before the welcome', { type: msg.type });
      return;
    }
    switch (msg.type) {
      case 'podSync':
        kubelet.sync(msg.pods);
        // Whatever the kubelet reported while the control plane was away goes out now.
        this.opts.reports.flush();
        return;
      case 'podUpsert':
        if (msg.pod.metadata.deletionTimestamp) this.opts.onPodDeleting?.(msg.pod);
        kubelet.upsert(msg.pod);
        return;
      case 'podRemove':
        this.opts.reports.forget(msg.uid);
        kubelet.remove(msg);
        return;
    }
  }

  private hold(msg: PodMessage): void {
    this.heldPodMessages!.push(msg);
    if (this.routesWaitTimer) return;
    const waitMs = this.opts.routesWaitMs ?? DEFAULT_ROUTES_WAIT_MS;
    this.routesWaitTimer = this.clock.setTimeout(() => {
      this.opts.log.warn('no routing table from the control plane yet; starting pods without service variables', { node: this.opts.name, waitedMs: waitMs });
      this.releasePods();
    }, waitMs);
  }

  /** The first routing snapshot is in place (or will not come): pods go ahead, in the order they came. */
  private releasePods(): void {
    this.clock.clearTimeout(this.routesWaitTimer);
    const held = this.heldPodMessages;
    this.heldPodMessages = undefined;
    if (this.stopped) return;
    for (const m of held ?? []) this.handlePods(m);
  }

  private heard(): void {
    this.lastHeardMs = this.clock.now();
  }

  /**
   * The heartbeat renews this node's lease with the control plane. When the control plane has
   * said nothing for half the silence limit it also pings, so that one with nothing to say still
   * sends something back (a busy one is not made busier by a pong a second from every agent); one silent for the limit, in time this agent was running (a starved or stopped
   * agent does not blame the control plane for its own absence), is abandoned and dialled again.
   */
  private startHeartbeats(): void {
    this.stopHeartbeats?.();
    // A new connection's first heartbeat carries the usage it has: the control plane starts blank.
    this.usageSent = -1;
    const every = this.timing?.heartbeatIntervalMs ?? 1000;
    const attention = new Attention(Math.max(every, 1000));
    const beat = () => {
      const ch = this.channel;
      if (!ch?.isOpen) return;
      if (attention.silence(this.lastHeardMs, this.clock.now()) > silenceLimitMs(this.timing)) {
        this.opts.log.warn('control plane sent nothing for too long; reconnecting', { node: this.opts.name, silentMs: this.clock.now() - this.lastHeardMs });
        ch.terminate();
        return;
      }
      if (this.clock.now() - this.lastHeardMs >= silenceLimitMs(this.timing) / 2) ch.ws.ping();
      // Usage changes once a sample: a heartbeat between two samples renews the lease alone.
      const kubelet = this.welcomedKubelet;
      const fresh = !!kubelet && kubelet.sampleCount !== this.usageSent;
      if (kubelet) this.usageSent = kubelet.sampleCount;
      ch.send({ type: 'heartbeat', time: this.clock.now(), ...(fresh ? { usage: kubelet.usage() } : {}) });
    };
    beat();
    this.stopHeartbeats = everyWithAttention(this.clock, every, attention, beat, this.opts.tickPhaseMs);
  }

  /** Stops talking to the control plane (clean shutdown); pods are the kubelet's business. */
  stop(): void {
    this.stopped = true;
    this.clock.clearTimeout(this.reconnectTimer);
    this.clock.clearTimeout(this.routesWaitTimer);
    this.stopHeartbeats?.();
    this.opts.reports.flush();
    this.channel?.close(CloseCode.GoingAway, 'agent shutting down');
  }
}
