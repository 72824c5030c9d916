// The control plane: one process holding the store, the API server (HTTP for clients, WebSocket
// for agents), the scheduler and the controllers. Built here so that tests and benchmarks can run
// it in-process as well as through main.ts.

import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { AGENT_PATH, DEFAULT_ADDRESS_PLAN, PROFILES, type AddressPlan, realClock, type Clock, type Logger, type ProfileName, type Timing } from '@kip/shared';
import { AgentEndpoint } from './api/agent-endpoint.js';
import { ConfigPublisher } from './api/config-publisher.js';
import { PodCidrAllocator } from './api/pod-cidr.js';
import { ExecHandler } from './api/exec.js';
import { PortForwarder } from './api/port-forward.js';
import { ResourceProxy } from './api/proxy.js';
import { parseRoute } from './api/routes.js';
import { Registry } from './api/registry.js';
import { RestApi } from './api/rest.js';
import { ControllerManager, defaultControllers } from './controllers/manager.js';
import { EndpointsController } from './controllers/endpoints.js';
import { VolumeProvisioner } from './controllers/volume-provisioner.js';
import { nodeMayReadVolume } from './api/node-volume-access.js';
import { defaultStorageClass } from './api/default-storage-class.js';
import { NamespaceController } from './controllers/namespace.js';
import { jobSelectorAdmission } from './api/job-selector.js';
import { ensureSystemPriorityClasses, priorityAdmission } from './api/priority-admission.js';
import { namespaceLifecycle } from './api/namespace-lifecycle.js';
import { NodeLifecycleController, type NodeHealthView } from './controllers/node-lifecycle.js';
import { LEADER_ELECTION_PROFILES, LeaderElector, newIdentity, type LeaderElectionTiming } from './leader/leader-election.js';
import { NodeLeases } from './api/node-leases.js';
import { ClusterIPAllocator } from './network/cluster-ip.js';
import { LoadBalancerController } from './network/load-balancer.js';
import { NodePortAllocator, type PortRange } from './network/node-port.js';
import { RoutePublisher } from './network/route-publisher.js';
import { StoreEventRecorder } from './events.js';
import { Chaos, thisProcess, type ControlPlaneProcess } from './chaos/index.js';
import { Scheduler } from './scheduler/scheduler.js';
import { MemoryStore } from './store/memory.js';
import type { Store } from './store/store.js';
import { ApiError, rejectUpgrade, sendError } from './api/errors.js';
import { RequestGuard } from './api/request-guard.js';
import { Authorizer } from './api/auth.js';

/**
 * How long a client has to send a request's headers, and the whole request with its body. Node's
 * defaults (60 s and 300 s, checked every 30 s) let a slow-loris sender hold a connection for
 * minutes. Watches and log streams are not cut: these timers stop once the request is in.
 */
export const HEADERS_TIMEOUT_MS = 10_000;
export const REQUEST_TIMEOUT_MS = 30_000;
const TIMEOUT_CHECK_EVERY_MS = 1000;

/** The answer to a request the HTTP parser gave up on, as Node's default handler words it. */
export function clientErrorResponse(code: string | undefined): string {
  const [status, text] =
    code === 'ERR_HTTP_REQUEST_TIMEOUT'
      ? [408, 'Request Timeout']
      : code === 'HPE_HEADER_OVERFLOW'
        ? [431, 'Request Header Fields Too Large']
        : [400, 'Bad Request'];
  return `HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`;
}

export interface ControlPlaneOptions {
  host?: string;
  /** 0 picks a free port. */
  port?: number;
  profile?: ProfileName;
  /** Overrides of single timing knobs on top of the profile. */
  timing?: Partial<Timing>;
  joinToken: string;
  /** The admin bearer token every API request needs; without it the API serves everyone (--anonymous). */
  apiToken?: string;
  /** Serve HTTPS (and WSS) with this certificate (tls.ts) instead of plain HTTP. */
  tls?: { certPem: string; keyPem: string; caPem?: string };
  /** The pod network and service range (--pod-cidr, --service-cidr); kubeadm's defaults when absent. */
  addressPlan?: AddressPlan;
  /** The ports NodePort services get (--service-node-port-range); 30000-32767 when absent. */
  nodePortRange?: PortRange;
  /** The range LoadBalancer services get addresses from (--load-balancer-cidr); 127.0.2.0/24 when absent. */
  loadBalancerCidr?: string;
  /** Names the API is reached by besides its address and localhost (a Host header must be one). */
  apiNames?: readonly string[];
  /** The data dir: provisioned volumes are directories under <dataDir>/volumes (the working directory when absent). */
  dataDir?: string;
  /** How often watches that allow bookmarks get one (default a minute, as the API server). */
  watchBookmarkIntervalMs?: number;
  log: Logger;
  clock?: Clock;
  store?: Store;
  /** The store keeps the state across a restart (sqlite, etcd): a ControlPlaneChaos may kill this process. */
  durableStore?: boolean;
  /** What a ControlPlaneChaos knows of and does to this process (default: this very process). */
  controlPlaneProcess?: ControlPlaneProcess;
  /**
   * Several control planes share the store (etcd): they elect a leader through a Lease, and only
   * the leader runs the scheduler and the controllers. Without it this one is always the leader.
   */
  leaderElection?: { identity?: string; timing?: LeaderElectionTiming };
}

export class ControlPlane {
  readonly store: Store;
  readonly registry: Registry;
  readonly recorder: StoreEventRecorder;
  readonly agents: AgentEndpoint;
  readonly scheduler: Scheduler;
  readonly controllers: ControllerManager;
  readonly nodeLifecycle: NodeLifecycleController;
  readonly routes: RoutePublisher;
  readonly config: ConfigPublisher;
  readonly chaos: Chaos;
  readonly timing: Timing;
  readonly addressPlan: AddressPlan;
  /** This control plane's identity: the holder it writes in the leader Lease. */
  readonly identity: string;
  /** Present when control planes share the store (leaderElection). */
  readonly elector?: LeaderElector;
  private readonly nodeLeases?: NodeLeases;
  private leading = false;
  private readonly server: http.Server | https.Server;
  private readonly clock: Clock;

  constructor(private readonly opts: ControlPlaneOptions) {
    const log = opts.log;
    this.clock = opts.clock ?? realClock;
    this.timing = { ...PROFILES[opts.profile ?? 'fast'], ...opts.timing };
    this.addressPlan = opts.addressPlan ?? DEFAULT_ADDRESS_PLAN;
    this.store = opts.store ?? new MemoryStore({ clock: this.clock, onHandlerError: (err) => log.error('store watcher failed', { error: err }) });
    this.identity = opts.leaderElection?.identity ?? newIdentity();
    if (opts.leaderElection) {
      this.nodeLeases = new NodeLeases({
        store: this.store,
        clock: this.clock,
        log: log.child('node-leases'),
        renewEveryMs: this.timing.heartbeatIntervalMs,
        leaseDurationMs: this.timing.nodeMonitorGracePeriodMs,
      });
      this.elector = new LeaderElector({
        store: this.store,
        clock: this.clock,
        log: log.child('leader-election'),
        identity: this.identity,
        timing: opts.leaderElection.timing ?? LEADER_ELECTION_PROFILES[opts.profile ?? 'fast'],
        onStartedLeading: () => this.startLeading(),
        onStoppedLeading: () => this.stopLeading(),
        onNewLeader: (holder) => log.info('leader is now', { holder: holder ?? '(none)', self: holder === this.identity }),
      });
    }
    this.recorder = new StoreEventRecorder(this.store, { component: 'controlplane', clock: this.clock });
    this.registry = new Registry({
      store: this.store,
      log: log.child('registry'),
      clock: this.clock,
      nodeCanTerminate: (node) => this.nodeCanTerminate(node),
    });
    this.agents = new AgentEndpoint({
      store: this.store,
      registry: this.registry,
      recorder: this.recorder,
      cidrs: new PodCidrAllocator(this.store, this.addressPlan.podNetworkCidr),
      log: log.child('agents'),
      clock: this.clock,
      joinToken: opts.joinToken,
      timing: this.timing,
      initialMessages: [() => [this.routes.snapshot()], (node) => [this.config.snapshot(node)], (node) => this.chaos.initialMessages(node)],
      onHeartbeat: this.nodeLeases ? (node) => this.nodeLeases!.renew(node) : undefined,
      connectedElsewhere: (node) => this.nodeCanTerminate(node),
    });
    this.routes = new RoutePublisher(this.store, this.agents, log.child('routes'), { clock: this.clock, addressPlan: this.addressPlan });
    this.config = new ConfigPublisher(this.store, this.agents, log.child('config'));
    this.registry.addAdmission(namespaceLifecycle(this.store));
    // The type's field rules and node ports first: the cluster IP allocator relies on a valid type.
    this.registry.addAdmission(new NodePortAllocator(this.store, opts.nodePortRange).admit);
    this.registry.addAdmission(new ClusterIPAllocator(this.store, this.addressPlan.serviceCidr).admit);
    this.registry.addAdmission(jobSelectorAdmission);
    this.registry.addAdmission(priorityAdmission(this.store));
    ensureSystemPriorityClasses(this.store);
    this.registry.addAdmission(defaultStorageClass(this.store));
    this.scheduler = new Scheduler({
      store: this.store,
      recorder: this.recorder,
      log: log.child('scheduler'),
      clock: this.clock,
      // Preemption victims get their grace period, as any deleted pod does.
      deletePod: (p) => this.registry.delete('Pod', p.metadata.namespace, p.metadata.name, { preconditions: { uid: p.metadata.uid } }),
    });
    const ctx = { store: this.store, registry: this.registry, recorder: this.recorder, log: log.child('controllers'), clock: this.clock, timing: this.timing };
    this.controllers = new ControllerManager(ctx);
    for (const c of defaultControllers(ctx)) this.controllers.add(c);
    this.controllers.add(new EndpointsController(ctx));
    this.controllers.add(new LoadBalancerController({ ...ctx, cidr: opts.loadBalancerCidr }));
    const volumes = new VolumeProvisioner({ ...ctx, dataDir: opts.dataDir ?? process.cwd() });
    volumes.ensureDefaultClass();
    this.controllers.add(volumes);
    const namespaces = new NamespaceController(ctx);
    namespaces.ensurePermanent();
    this.controllers.add(namespaces);
    this.chaos = new Chaos(
      { ...ctx, log, agents: this.agents },
      opts.controlPlaneProcess ?? thisProcess({ durable: opts.durableStore ?? false, dataDir: opts.dataDir }),
    );
    for (const c of this.chaos.controllers) this.controllers.add(c);
    this.nodeLifecycle = new NodeLifecycleController({
      store: this.store,
      recorder: this.recorder,
      log: log.child('node-lifecycle'),
      clock: this.clock,
      timing: this.timing,
      health: (name) => this.nodeHealth(name),
    });
    const auth = new Authorizer({
      adminToken: opts.apiToken,
      nodeToken: opts.joinToken,
      nodeMayGet: (kind, namespace, name) => nodeMayReadVolume(this.store, kind, namespace, name),
    });
    const proxy = new ResourceProxy({ store: this.store, joinToken: opts.joinToken, log: log.child('proxy') });
    const rest = new RestApi({
      registry: this.registry,
      nodes: this.agents,
      log: log.child('api'),
      auth,
      proxy,
      bookmarkIntervalMs: opts.watchBookmarkIntervalMs,
    });
    const guard = new RequestGuard({
      listenAddress: opts.host ?? '127.0.0.1',
      port: () => (this.server.address() as AddressInfo | null)?.port ?? 0,
      extraNames: opts.apiNames,
    });
    const serve = (req: http.IncomingMessage, res: http.ServerResponse): void => {
      const refused = guard.check(req);
      if (refused) return sendError(res, refused);
      rest.handle(req, res);
    };
    const limits = { headersTimeout: HEADERS_TIMEOUT_MS, requestTimeout: REQUEST_TIMEOUT_MS, connectionsCheckingInterval: TIMEOUT_CHECK_EVERY_MS };
    this.server = opts.tls
      ? https.createServer({ ...limits, cert: opts.tls.certPem + (opts.tls.caPem ?? ''), key: opts.tls.keyPem }, serve)
      : http.createServer(limits, serve);
    this.server.keepAliveTimeout = 30_000;
    const portForward = new PortForwarder({ store: this.store, joinToken: opts.joinToken, log: log.child('port-forward') });
    const exec = new ExecHandler({ store: this.store, nodes: this.agents, log: log.child('exec') });
    this.server.on('upgrade', (req, socket, head) => {
      const refused = guard.check(req, true);
      if (refused) return rejectUpgrade(socket, refused);
      const path = new URL(req.url ?? '/', 'http://localhost').pathname;
      if (path === AGENT_PATH) return this.agents.handleUpgrade(req, socket, head);
      const route = parseRoute(path);
      if (
        route?.type === 'resource' &&
        route.subresource === 'portforward' &&
        route.name &&
        (route.resource.kind === 'Pod' || route.resource.kind === 'Service')
      ) {
        if (auth.identify(req) !== 'admin') return rejectUpgrade(socket, new ApiError('Unauthorized', 'Unauthorized'));
        return portForward.handleUpgrade(req, socket, head, route);
      }
      if (route?.type === 'resource' && (route.subresource === 'exec' || route.subresource === 'attach') && route.name && route.resource.kind === 'Pod') {
        if (auth.identify(req) !== 'admin') return rejectUpgrade(socket, new ApiError('Unauthorized', 'Unauthorized'));
        return exec.handleUpgrade(req, socket, head, route);
      }
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n');
    });
    this.server.on('clientError', (err: NodeJS.ErrnoException, socket) => {
      if (socket.writable && err.code !== 'ECONNRESET') socket.end(clientErrorResponse(err.code));
      else socket.destroy();
    });
  }

  /** Starts serving; resolves with the API URL once the port is bound. */
  async start(): Promise<{ url: string; port: number }> {
    // The route and config publishers watch pods before the agent endpoint does: see route-publisher.ts, config-publisher.ts.
    this.routes.start();
    this.config.start();
    this.agents.start();
    this.nodeLeases?.start();
    // Every control plane serves the API and its agents; only the leader schedules and reconciles.
    if (this.elector) this.elector.start();
    else this.startLeading();
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(this.opts.port ?? 0, this.opts.host ?? '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
    const port = (this.server.address() as AddressInfo).port;
    const host = this.opts.host ?? '127.0.0.1';
    return { url: `${this.opts.tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`, port };
  }

  /** Whether this control plane runs the scheduler and the controllers now. */
  isLeader(): boolean {
    return this.leading;
  }

  private startLeading(): void {
    if (this.leading) return;
    this.leading = true;
    this.scheduler.start();
    this.controllers.start();
    this.nodeLifecycle.start();
  }

  /** Leadership lost: stop at once, as kube-controller-manager exits, so two never act together. */
  private stopLeading(): void {
    if (!this.leading) return;
    this.leading = false;
    this.nodeLifecycle.stop();
    this.controllers.stop();
    this.scheduler.stop();
  }

  /**
   * A node's liveness as the node lifecycle controller judges it: its agent's connection to this
   * control plane, or, when control planes share the store, its Lease renewed by whichever one the
   * agent is connected to, whichever was heard from last.
   */
  private nodeHealth(name: string): NodeHealthView | undefined {
    const local = this.agents.health(name);
    const leaseMs = this.nodeLeases?.lastRenewMs(name);
    // An agent whose process is known to have exited is lost at once, whatever its Lease says.
    if (leaseMs === undefined || local?.connected || local?.agentGone || (local && local.lastHeartbeatMs >= leaseMs)) return local;
    return { connected: this.clock.now() - leaseMs < this.timing.nodeMonitorGracePeriodMs, lastHeartbeatMs: leaseMs };
  }

  private nodeCanTerminate(name: string): boolean {
    if (this.agents.canTerminate(name)) return true;
    const leaseMs = this.nodeLeases?.lastRenewMs(name);
    return leaseMs !== undefined && this.clock.now() - leaseMs < this.timing.nodeMonitorGracePeriodMs;
  }

  async stop(): Promise<void> {
    if (this.elector) this.elector.stop();
    else this.stopLeading();
    this.nodeLeases?.stop();
    this.agents.stop();
    this.config.stop();
    this.routes.stop();
    await new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
    this.store.close();
  }
}
