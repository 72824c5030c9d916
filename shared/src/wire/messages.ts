// Every message between an agent and the control plane: one discriminated union, versioned.
// The agent opens one WebSocket to the control plane and speaks first (hello); the control plane
// answers welcome or refuse. After welcome the control plane sends the full set of pods bound to
// the node (podSync), then deltas; the agent sends heartbeats and batched pod status.

import type { NetworkChaosAction, NodeChaosAction } from '../api/chaos.js';
import type { NETWORK_ACTIONS, NODE_ACTIONS } from '../chaos/actions/index.js';
import type { Event, Pod, PodStatus, ResourceList } from '../api/types.js';
import type { ConfigMap, Secret } from '../kinds/index.js';
import type { Timing } from '../timing.js';

/** Bumped on any incompatible change; checked at the handshake. */
export const PROTOCOL_VERSION = 3;

/** The WebSocket path agents connect to on the control plane. */
export const AGENT_PATH = '/agent/v1/connect';

export const MessageType = {
  Hello: 'hello',
  Welcome: 'welcome',
  Refuse: 'refuse',
  PodSync: 'podSync',
  PodUpsert: 'podUpsert',
  PodRemove: 'podRemove',
  Heartbeat: 'heartbeat',
  PodStatus: 'podStatus',
  PodTerminated: 'podTerminated',
  Events: 'events',
  LogRequest: 'logRequest',
  LogCancel: 'logCancel',
  LogData: 'logData',
  LogEnd: 'logEnd',
  ExecStart: 'execStart',
  ExecInput: 'execInput',
  ExecCancel: 'execCancel',
  ExecOutput: 'execOutput',
  ExecExit: 'execExit',
  Routes: 'routes',
  Faults: 'faults',
  NodeAction: 'nodeAction',
  ConfigObjects: 'configObjects',
} as const;
export type MessageTypeName = (typeof MessageType)[keyof typeof MessageType];

export interface PodRef {
  namespace: string;
  name: string;
  uid: string;
}

// ---- agent -> control plane ------------------------------------------------------------------

export interface Hello {
  type: 'hello';
  protocol: number;
  token: string;
  node: {
    name: string;
    capacity: ResourceList;
    labels: Record<string, string>;
    pid: number;
    /**
     * A random id of this agent process, kept secret between it and the control plane: what tells
     * the same agent reconnecting from another one claiming its node (a pid is public, in the Node).
     */
    instance?: string;
    version: string;
    /** host:port where this agent accepts tunnel connections from other agents, if it does. */
    tunnelEndpoint?: string;
    /** The node's own address (--node-ip): its InternalIP, where it listens on NodePorts. */
    nodeIP?: string;
  };
  /** Pods the agent is running right now, so the control plane can reconcile after a reconnect. */
  pods: PodRef[];
}

export interface ContainerUsage {
  name: string;
  /** millicores */
  cpu: number;
  /** bytes */
  memory: number;
}
export interface PodUsage extends PodRef {
  containers: ContainerUsage[];
}

export interface Heartbeat {
  type: 'heartbeat';
  /** agent's wall clock, ms since epoch */
  time: number;
  usage?: { cpu: number; memory: number; pods: PodUsage[] };
}

export interface PodStatusUpdate extends PodRef {
  status: PodStatus;
}
export interface PodStatusBatch {
  type: 'podStatus';
  updates: PodStatusUpdate[];
}

/** A pod marked for deletion has stopped on this node; the control plane may now remove it. */
export interface PodTerminated extends PodRef {
  type: 'podTerminated';
}

export interface EventRecord {
  involvedObject: { kind: string; namespace?: string; name: string; uid?: string; fieldPath?: string };
  reason: string;
  message: string;
  type: Event['type'];
}
export interface Events {
  type: 'events';
  events: EventRecord[];
}

export interface LogData {
  type: 'logData';
  id: number;
  data: Uint8Array;
}
export interface LogEnd {
  type: 'logEnd';
  id: number;
  /** set when the request could not be served (no such pod or container, no previous instance) */
  error?: string;
}

/** Output of a command run by execStart: stream 1 is stdout, 2 stderr (the channel numbers kubectl uses). */
export interface ExecOutput {
  type: 'execOutput';
  id: number;
  stream: 1 | 2;
  data: Uint8Array;
}
/** The command ended (exitCode), or could not be run at all (error, in kubelet's words). */
export interface ExecExit {
  type: 'execExit';
  id: number;
  exitCode?: number;
  error?: string;
}

// ---- control plane -> agent ------------------------------------------------------------------

export interface Welcome {
  type: 'welcome';
  nodeName: string;
  podCIDR: string;
  timing: Timing;
}

export type RefuseReason = 'BadToken' | 'DuplicateNode' | 'ProtocolVersion' | 'Invalid';
export interface Refuse {
  type: 'refuse';
  reason: RefuseReason;
  message: string;
}

export interface PodSync {
  type: 'podSync';
  /** Every pod bound to this node; anything else the agent runs must stop. */
  pods: Pod[];
}
export interface PodUpsert {
  type: 'podUpsert';
  pod: Pod;
}
/** The pod is gone from the store (force deletion or eviction): stop it now. */
export interface PodRemove extends PodRef {
  type: 'podRemove';
}

export interface LogRequest {
  type: 'logRequest';
  id: number;
  namespace: string;
  pod: string;
  container: string;
  follow: boolean;
  previous: boolean;
  tailLines?: number;
  limitBytes?: number;
}
export interface LogCancel {
  type: 'logCancel';
  id: number;
}

/** `kubectl exec`: run a command beside a running container, with its environment and filesystem. */
export interface ExecStart {
  type: 'execStart';
  id: number;
  namespace: string;
  pod: string;
  /** empty: the pod's only container */
  container: string;
  /** empty for an attach */
  command: string[];
  stdin: boolean;
  tty: boolean;
  /** `kubectl attach`: join the running container's own streams instead of running a command. */
  attach?: boolean;
}
/** Input for a running exec: bytes for its stdin, the end of its stdin, or a new terminal size. */
export interface ExecInput {
  type: 'execInput';
  id: number;
  data?: Uint8Array;
  eof?: boolean;
  resize?: { width: number; height: number };
}
/** The client went away: kill the command. */
export interface ExecCancel {
  type: 'execCancel';
  id: number;
}

// ---- the routing table (control plane -> agent) -----------------------------------------------

/** One backend of a service port: a pod address, its resolved target port, and where it runs. */
export interface EndpointRoute {
  ip: string;
  /** the container port the service's targetPort resolved to on this pod */
  port: number;
  node: string;
  pod: string;
  ready: boolean;
  /** the pod's hostname within a headless service (its `spec.hostname`), which per-pod names resolve by */
  hostname?: string;
}

/** A service with its endpoints, as the agents' proxies need it. */
export interface ServiceRoute {
  namespace: string;
  name: string;
  /** "None" for a headless service: its name resolves to its pods' own addresses, and it has no listeners */
  clusterIP: string;
  sessionAffinity: 'None' | 'ClientIP';
  /** nodePort: where every node with an address listens for this port from outside (NodePort and LoadBalancer) */
  ports: { name: string; port: number; protocol: 'TCP'; nodePort?: number; endpoints: EndpointRoute[] }[];
  /** Local: traffic from outside goes only to endpoints on the node it came in at (absent: Cluster) */
  externalTrafficPolicy?: 'Cluster' | 'Local';
  /** LoadBalancer: its ingress addresses, and the one node whose agent listens on them (as one speaker announces an address in MetalLB's L2 mode) */
  loadBalancer?: { ips: string[]; node: string };
  /** ExternalName: the name the service's name stands for (clusterIP is then ""; no listeners, no endpoints) */
  externalName?: string;
}

/** How to reach a node's agent from another agent, and which pod addresses live there. */
export interface NodeRoute {
  name: string;
  /** host:port of its tunnel listener */
  tunnel?: string;
  /** the node's pod range: a pod IP is routed to the node whose range holds it, as a CNI routes it */
  podCIDR?: string;
}

/**
 * The routing table, what kube-proxy and a CNI give a node: services with their endpoints, and
 * each node's pod range and tunnel. Pods themselves are not in it: a pod IP is reached through the
 * node whose range holds it, and that node's agent knows its own pods, so a pod's start or end
 * costs no message to every agent. A full snapshot comes right after welcome (full: true,
 * everything else is gone), then deltas: entries to add or replace, and keys to remove ("ns/name"
 * for services, names for nodes).
 */
export interface Routes {
  type: 'routes';
  full: boolean;
  /** The cluster's pod network and service range (full snapshots): what the proxy resolves as cluster addresses. */
  podNetworkCidr?: string;
  serviceCidr?: string;
  services?: ServiceRoute[];
  removeServices?: string[];
  nodes?: NodeRoute[];
  removeNodes?: string[];
}

// ---- chaos (control plane -> agent) ----------------------------------------------------------

/** Which way a fault acts on a link, seen from the node that enforces it. */
export type FaultDirection = 'toPeer' | 'fromPeer' | 'both';

/** The names of the parsed parameters some actions put on the wire (each action's wire schema). */
type WireFields<A> = A extends { wire: { properties: infer P } } ? keyof P & string : never;

/** The parsed parameters of every network action (latencyMs, bytesPerSecond, ...), from the fault table. */
export type NetworkFaultParameter = WireFields<(typeof NETWORK_ACTIONS)[number]>;

/**
 * One network fault a node enforces on one of its links: to another node, or to the control
 * plane. Parameters are parsed already (milliseconds, bytes per second, fractions), each action
 * with its own (see its wire schema in shared/src/chaos/actions).
 */
export type NetworkFault = {
  /** the NetworkChaos that asks for it: "namespace/name" */
  chaos: string;
  /** the node at the other end of the link; absent for the link to the control plane */
  peer?: string;
  /** true for the agent's own link to the control plane */
  controlPlane?: boolean;
  direction: FaultDirection;
  action: NetworkChaosAction;
  /** seeds the fault's randomness (jitter, resets), so a run can be replayed */
  seed: number;
} & { [K in NetworkFaultParameter]?: number };

/** Every network fault this node must enforce now; anything not listed is healed. */
export interface Faults {
  type: 'faults';
  faults: NetworkFault[];
}

/** What node actions' messages carry besides the action (durationMs, restartDelayMs), from the fault table. */
export type NodeActionParameter = WireFields<(typeof NODE_ACTIONS)[number]>;

/** A node fault: the agent kills, pauses or restarts itself. */
export type NodeAction = {
  type: 'nodeAction';
  action: NodeChaosAction;
  /** the NodeChaos that asks for it: "namespace/name" */
  chaos: string;
} & { [K in NodeActionParameter]?: number };

// ---- ConfigMaps and Secrets (control plane -> agent) ----------------------------------------

/** Names a ConfigMap or Secret the node was sent. */
export interface ConfigObjectRef {
  kind: 'ConfigMap' | 'Secret';
  namespace: string;
  name: string;
}

/**
 * The ConfigMaps and Secrets the pods bound to this node reference, and only those, as the Node
 * authorizer lets a kubelet read them. A full set right after welcome (full: true, anything else
 * the node holds is gone), then deltas: objects added or changed, and refs no longer referenced
 * or deleted. A referenced object that does not exist is simply not sent.
 */
export interface ConfigObjects {
  type: 'configObjects';
  full: boolean;
  objects: (ConfigMap | Secret)[];
  remove?: ConfigObjectRef[];
}

export type AgentMessage = Hello | Heartbeat | PodStatusBatch | PodTerminated | Events | LogData | LogEnd | ExecOutput | ExecExit;
export type ControlPlaneMessage =
  | Welcome
  | Refuse
  | PodSync
  | PodUpsert
  | PodRemove
  | LogRequest
  | LogCancel
  | ExecStart
  | ExecInput
  | ExecCancel
  | Routes
  | Faults
  | NodeAction
  | ConfigObjects;
export type Message = AgentMessage | ControlPlaneMessage;
