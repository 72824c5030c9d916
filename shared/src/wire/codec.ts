// The msgpack codec for wire messages. Decoding validates: a frame that is not msgpack, not a
// known message, or lacks a field its type needs raises a ProtocolError naming what is wrong, and the
// caller closes that one connection. Nothing in a frame can take a process down.

import { Packr } from 'msgpackr';
import { findNetworkAction, findNodeAction, NETWORK_ACTIONS, NODE_ACTION_NAMES, NODE_ACTIONS } from '../chaos/actions/index.js';
import { MessageType, type AgentMessage, type ControlPlaneMessage, type Message, type MessageTypeName } from './messages.js';
import { isIPv4, parseCidr } from '../ipv4.js';

/** Frames larger than this are refused (the WebSocket's maxPayload). */
export const MAX_FRAME_BYTES = 64 * 1024 * 1024;

export type ProtocolErrorCode = 'BadFrame' | 'UnknownMessage' | 'InvalidMessage' | 'UnexpectedMessage' | 'FrameTooLarge';

export class ProtocolError extends Error {
  constructor(
    readonly code: ProtocolErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}

// Plain maps, no shared record structures: each frame decodes on its own, whatever came before.
const packr = new Packr({ useRecords: false, moreTypes: false, mapsAsObjects: true });

export function encode(msg: Message): Uint8Array {
  return packr.pack(msg);
}

type Obj = Record<string, unknown>;
// Only plain maps: msgpackr decodes extensions (timestamps) and the unused byte 0xc1 to class instances.
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && Object.getPrototypeOf(v) === Object.prototype;

function need(cond: boolean, type: string, what: string): void {
  if (!cond) throw new ProtocolError('InvalidMessage', `invalid ${type} message: ${what}`);
}
const str = (v: unknown) => typeof v === 'string';
const num = (v: unknown) => typeof v === 'number' && Number.isFinite(v);
/** "kill, pause or restart" */
const listed = (names: readonly string[]) => `${names.slice(0, -1).join(', ')} or ${names.at(-1)}`;

// Every parameter any fault action puts on the wire, each a number of at least 0 (its wire schema).
const NETWORK_WIRE_FIELDS = [...new Set(NETWORK_ACTIONS.flatMap((a) => Object.keys(a.wire.properties)))];
const NODE_WIRE_FIELDS = [...new Set(NODE_ACTIONS.flatMap((a) => Object.keys(a.wire.properties)))];

function podRef(m: Obj, type: string, where = ''): void {
  need(str(m.namespace) && str(m.name) && str(m.uid), type, `${where}namespace, name and uid must be strings`);
}

function podObject(p: unknown, type: string, where: string): void {
  need(
    isObj(p) && isObj(p.metadata) && str(p.metadata.name) && str(p.metadata.uid) && isObj(p.spec),
    type,
    `${where} must be a pod with metadata.name, metadata.uid and spec`,
  );
}

/** Checks the fields each message type needs; the shapes of nested Kubernetes objects are the API's business. */
const validators: Record<MessageTypeName, (m: Obj) => void> = {
  hello: (m) => {
    need(num(m.protocol), 'hello', 'protocol must be a number');
    need(str(m.token), 'hello', 'token must be a string');
    need(isObj(m.node), 'hello', 'node must be an object');
    const n = m.node as Obj;
    need(str(n.name) && (n.name as string).length > 0, 'hello', 'node.name must be a non-empty string');
    need(isObj(n.capacity), 'hello', 'node.capacity must be an object');
    need(isObj(n.labels) && Object.values(n.labels).every(str), 'hello', 'node.labels must be an object of strings');
    need(num(n.pid), 'hello', 'node.pid must be a number');
    need(n.version === undefined || str(n.version), 'hello', 'node.version must be a string');
    need(n.tunnelEndpoint === undefined || str(n.tunnelEndpoint), 'hello', 'node.tunnelEndpoint must be a string');
    need(n.instance === undefined || str(n.instance), 'hello', 'node.instance must be a string');
    need(n.nodeIP === undefined || (str(n.nodeIP) && isIPv4(n.nodeIP as string)), 'hello', 'node.nodeIP must be an IPv4 address');
    need(Array.isArray(m.pods), 'hello', 'pods must be a list');
    (m.pods as unknown[]).forEach((p, i) => {
      need(isObj(p), 'hello', `pods[${i}] must be an object`);
      podRef(p as Obj, 'hello', `pods[${i}]: `);
    });
  },
  welcome: (m) => {
    need(str(m.nodeName) && str(m.podCIDR), 'welcome', 'nodeName and podCIDR must be strings');
    need(isObj(m.timing), 'welcome', 'timing must be an object');
  },
  refuse: (m) => need(str(m.reason) && str(m.message), 'refuse', 'reason and message must be strings'),
  podSync: (m) => {
    need(Array.isArray(m.pods), 'podSync', 'pods must be a list');
    (m.pods as unknown[]).forEach((p, i) => podObject(p, 'podSync', `pods[${i}]`));
  },
  podUpsert: (m) => podObject(m.pod, 'podUpsert', 'pod'),
  podRemove: (m) => podRef(m, 'podRemove'),
  heartbeat: (m) => {
    need(num(m.time), 'heartbeat', 'time must be a number');
    if (m.usage !== undefined) {
      need(isObj(m.usage), 'heartbeat', 'usage must be an object');
      const u = m.usage as Obj;
      need(num(u.cpu) && num(u.memory) && Array.isArray(u.pods), 'heartbeat', 'usage needs cpu, memory and pods');
      // Kept as the node's metrics and served as they are by the metrics API: checked to the leaf.
      (u.pods as unknown[]).forEach((p, i) => {
        need(isObj(p), 'heartbeat', `usage.pods[${i}] must be an object`);
        podRef(p as Obj, 'heartbeat', `usage.pods[${i}]: `);
        const containers = (p as Obj).containers;
        need(Array.isArray(containers), 'heartbeat', `usage.pods[${i}].containers must be a list`);
        (containers as unknown[]).forEach((c, j) =>
          need(isObj(c) && str(c.name) && num(c.cpu) && num(c.memory), 'heartbeat', `usage.pods[${i}].containers[${j}] needs name, cpu and memory`),
        );
      });
    }
  },
  podStatus: (m) => {
    need(Array.isArray(m.updates), 'podStatus', 'updates must be a list');
    (m.updates as unknown[]).forEach((u, i) => {
      need(isObj(u), 'podStatus', `updates[${i}] must be an object`);
      podRef(u as Obj, 'podStatus', `updates[${i}]: `);
      need(isObj((u as Obj).status), 'podStatus', `updates[${i}].status must be an object`);
    });
  },
  podTerminated: (m) => podRef(m, 'podTerminated'),
  events: (m) => {
    need(Array.isArray(m.events), 'events', 'events must be a list');
    (m.events as unknown[]).forEach((e, i) => {
      need(isObj(e) && isObj(e.involvedObject) && str(e.reason) && str(e.message), 'events', `events[${i}] needs involvedObject, reason and message`);
      need((e as Obj).type === 'Normal' || (e as Obj).type === 'Warning', 'events', `events[${i}].type must be Normal or Warning`);
    });
  },
  logRequest: (m) => {
    need(num(m.id), 'logRequest', 'id must be a number');
    need(str(m.namespace) && str(m.pod) && str(m.container), 'logRequest', 'namespace, pod and container must be strings');
  },
  logCancel: (m) => need(num(m.id), 'logCancel', 'id must be a number'),
  logData: (m) => need(num(m.id) && m.data instanceof Uint8Array, 'logData', 'needs a numeric id and binary data'),
  logEnd: (m) => need(num(m.id), 'logEnd', 'id must be a number'),
  execStart: (m) => {
    need(num(m.id), 'execStart', 'id must be a number');
    need(str(m.namespace) && str(m.pod) && str(m.container), 'execStart', 'namespace, pod and container must be strings');
    need(m.attach === undefined || typeof m.attach === 'boolean', 'execStart', 'attach must be true or false');
    need(
      Array.isArray(m.command) && (m.command.length > 0 || m.attach === true) && m.command.every(str),
      'execStart',
      'command must be a non-empty list of strings (empty only for an attach)',
    );
    need(typeof m.stdin === 'boolean' && typeof m.tty === 'boolean', 'execStart', 'stdin and tty must be true or false');
  },
  execInput: (m) => {
    need(num(m.id), 'execInput', 'id must be a number');
    need(m.data === undefined || m.data instanceof Uint8Array, 'execInput', 'data must be binary');
    need(m.eof === undefined || typeof m.eof === 'boolean', 'execInput', 'eof must be true or false');
    const r = m.resize;
    need(r === undefined || (isObj(r) && num(r.width) && num(r.height)), 'execInput', 'resize needs a numeric width and height');
  },
  execCancel: (m) => need(num(m.id), 'execCancel', 'id must be a number'),
  execOutput: (m) =>
    need(num(m.id) && (m.stream === 1 || m.stream === 2) && m.data instanceof Uint8Array, 'execOutput', 'needs a numeric id, stream 1 or 2 and binary data'),
  execExit: (m) => {
    need(num(m.id), 'execExit', 'id must be a number');
    need(m.exitCode === undefined || num(m.exitCode), 'execExit', 'exitCode must be a number');
    need(m.error === undefined || str(m.error), 'execExit', 'error must be a string');
  },
  routes: (m) => {
    need(typeof m.full === 'boolean', 'routes', 'full must be true or false');
    for (const k of ['podNetworkCidr', 'serviceCidr'])
      need(m[k] === undefined || (str(m[k]) && parseCidr(m[k] as string) !== undefined), 'routes', `${k} must be a CIDR`);
    for (const k of ['services', 'nodes', 'removeServices', 'removeNodes']) need(m[k] === undefined || Array.isArray(m[k]), 'routes', `${k} must be a list`);
    ((m.services as unknown[] | undefined) ?? []).forEach((sv, i) =>
      need(
        isObj(sv) && str(sv.namespace) && str(sv.name) && str(sv.clusterIP) && Array.isArray(sv.ports),
        'routes',
        `services[${i}] needs namespace, name, clusterIP and ports`,
      ),
    );
    ((m.services as unknown[] | undefined) ?? []).forEach((sv, i) => {
      const s = sv as Obj;
      need(s.externalName === undefined || str(s.externalName), 'routes', `services[${i}].externalName must be a string`);
      const lb = s.loadBalancer;
      need(
        lb === undefined || (isObj(lb) && str(lb.node) && Array.isArray(lb.ips) && lb.ips.every((ip) => str(ip) && isIPv4(ip as string))),
        'routes',
        `services[${i}].loadBalancer needs a node and a list of IPv4 addresses`,
      );
      (s.ports as unknown[]).forEach((p, j) =>
        need(
          isObj(p) && (p.nodePort === undefined || (Number.isInteger(p.nodePort) && (p.nodePort as number) > 0 && (p.nodePort as number) < 65536)),
          'routes',
          `services[${i}].ports[${j}].nodePort must be a port number`,
        ),
      );
    });
    ((m.nodes as unknown[] | undefined) ?? []).forEach((n, i) => need(isObj(n) && str(n.name), 'routes', `nodes[${i}] needs a name`));
  },
  faults: (m) => {
    need(Array.isArray(m.faults), 'faults', 'faults must be a list');
    (m.faults as unknown[]).forEach((f, i) => {
      need(isObj(f), 'faults', `faults[${i}] must be an object`);
      const x = f as Obj;
      need(str(x.chaos), 'faults', `faults[${i}].chaos must be a string`);
      need(str(x.peer) !== (x.controlPlane === true), 'faults', `faults[${i}] needs a peer node or controlPlane: true, not both`);
      need(['toPeer', 'fromPeer', 'both'].includes(x.direction as string), 'faults', `faults[${i}].direction must be toPeer, fromPeer or both`);
      need(findNetworkAction(x.action) !== undefined, 'faults', `faults[${i}].action is not a network action`);
      need(num(x.seed), 'faults', `faults[${i}].seed must be a number`);
      for (const k of NETWORK_WIRE_FIELDS)
        need(x[k] === undefined || (num(x[k]) && (x[k] as number) >= 0), 'faults', `faults[${i}].${k} must be a number of at least 0`);
    });
  },
  configObjects: (m) => {
    need(typeof m.full === 'boolean', 'configObjects', 'full must be true or false');
    need(Array.isArray(m.objects), 'configObjects', 'objects must be a list');
    (m.objects as unknown[]).forEach((o, i) =>
      need(
        isObj(o) && (o.kind === 'ConfigMap' || o.kind === 'Secret') && isObj(o.metadata) && str(o.metadata.name) && str(o.metadata.namespace),
        'configObjects',
        `objects[${i}] must be a ConfigMap or Secret with metadata.name and metadata.namespace`,
      ),
    );
    need(m.remove === undefined || Array.isArray(m.remove), 'configObjects', 'remove must be a list');
    ((m.remove as unknown[] | undefined) ?? []).forEach((r, i) =>
      need(
        isObj(r) && (r.kind === 'ConfigMap' || r.kind === 'Secret') && str(r.namespace) && str(r.name),
        'configObjects',
        `remove[${i}] needs kind, namespace and name`,
      ),
    );
  },
  nodeAction: (m) => {
    const action = findNodeAction(m.action);
    need(action !== undefined, 'nodeAction', `action must be ${listed(NODE_ACTION_NAMES)}`);
    need(str(m.chaos), 'nodeAction', 'chaos must be a string');
    for (const k of NODE_WIRE_FIELDS) need(m[k] === undefined || (num(m[k]) && (m[k] as number) >= 0), 'nodeAction', `${k} must be a number of at least 0`);
    for (const k of action!.wire.required ?? []) need(num(m[k]), 'nodeAction', `${action!.name} needs ${k}`);
  },
};

const KNOWN = new Set<string>(Object.values(MessageType));

export function decode(frame: Uint8Array): Message {
  if (frame.byteLength > MAX_FRAME_BYTES) throw new ProtocolError('FrameTooLarge', `frame of ${frame.byteLength} bytes exceeds ${MAX_FRAME_BYTES}`);
  let value: unknown;
  try {
    value = packr.unpack(frame);
  } catch (err) {
    throw new ProtocolError('BadFrame', `frame is not valid msgpack: ${(err as Error).message}`);
  }
  if (!isObj(value)) throw new ProtocolError('BadFrame', 'frame is not a message object');
  const type = value.type;
  if (typeof type !== 'string' || !KNOWN.has(type)) throw new ProtocolError('UnknownMessage', `unknown message type ${JSON.stringify(type)}`);
  validators[type as MessageTypeName](value);
  return value as unknown as Message;
}

const AGENT_TYPES = new Set<string>(['hello', 'heartbeat', 'podStatus', 'podTerminated', 'events', 'logData', 'logEnd', 'execOutput', 'execExit']);

/** Decodes a frame the control plane received; a control-plane-only message from an agent is an error. */
export function decodeFromAgent(frame: Uint8Array): AgentMessage {
  const m = decode(frame);
  if (!AGENT_TYPES.has(m.type)) throw new ProtocolError('UnexpectedMessage', `an agent may not send ${m.type}`);
  return m as AgentMessage;
}

/** Decodes a frame an agent received. */
export function decodeFromControlPlane(frame: Uint8Array): ControlPlaneMessage {
  const m = decode(frame);
  if (AGENT_TYPES.has(m.type)) throw new ProtocolError('UnexpectedMessage', `the control plane may not send ${m.type}`);
  return m as ControlPlaneMessage;
}
