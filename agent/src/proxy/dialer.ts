// Dialling a pod address from this agent: a pod on this node is dialled directly on the host port
// that backs its container port; a pod on another node through a tunnel to that node's agent. The
// link to the destination node admits (or refuses) the connection first, and counts failures.

import net from 'node:net';
import { TunnelError, dialTunnel } from '@kip/shared';
import { SOCKET_HIGH_WATER_MARK, type Link, type Links } from './link.js';
import type { RoutingTable } from './routing-table.js';

export const DEFAULT_DIAL_TIMEOUT_MS = 5000;

/** What the kubelet says of a pod address on this node. */
export interface LocalPodPort {
  /** the pod that has the address here, if any */
  pod?: { namespace: string; name: string };
  /** the host port backing the container port, if that pod declares it */
  hostPort?: number;
}

/** The kubelet's answer for a local pod address and container port. */
export type LocalPortLookup = (podIP: string, containerPort: number) => LocalPodPort;

export interface DialTarget {
  /** the node the pod runs on */
  node: string;
  ip: string;
  port: number;
}

export interface Dialled {
  socket: net.Socket;
  link: Link;
}

export interface DialerOptions {
  nodeName: string;
  token: string;
  host: string;
  links: Links;
  table: RoutingTable;
  localPort: LocalPortLookup;
  timeoutMs?: number;
}

/** Why a local pod address cannot be dialled, in words a user can act on; undefined if it can. */
export function localRefusal(nodeName: string, ip: string, port: number, found: LocalPodPort): string | undefined {
  if (found.hostPort !== undefined) return undefined;
  if (!found.pod) return `no such pod on this node: no pod has IP ${ip} on ${nodeName}`;
  return `pod ${found.pod.namespace}/${found.pod.name} (${ip}) declares no container port ${port}`;
}

/** Connects to 127.0.0.1:port with Nagle off and half-close allowed; rejects with a TunnelError. */
export function connectLocal(host: string, port: number, timeoutMs: number, what: string): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    // net.Socket honours highWaterMark (it hands its options to Duplex); the typings omit it.
    const s = net.connect({ host, port, allowHalfOpen: true, noDelay: true, highWaterMark: SOCKET_HIGH_WATER_MARK } as net.NetConnectOpts);
    const timer = setTimeout(() => {
      s.destroy();
      reject(new TunnelError('Timeout', `${what}: no connection within ${timeoutMs} ms`));
    }, timeoutMs);
    s.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const refused = err.code === 'ECONNREFUSED';
      reject(new TunnelError(refused ? 'Refused' : 'Unreachable', `${what}: ${refused ? 'connection refused' : err.message}`));
    });
    s.once('connect', () => {
      clearTimeout(timer);
      s.removeAllListeners('error');
      // Until the caller splices it, an error only closes it: it must not take the agent down.
      s.on('error', () => undefined);
      resolve(s);
    });
  });
}

export class Dialer {
  private readonly timeoutMs: number;

  constructor(private readonly opts: DialerOptions) {
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_DIAL_TIMEOUT_MS;
  }

  /** A connection to the pod at target, through the link to its node; rejects with a TunnelError. */
  async dial(target: DialTarget): Promise<Dialled> {
    const { nodeName, links, table } = this.opts;
    const link = links.get(target.node);
    const where = `${target.ip}:${target.port}`;
    link.admit({ peer: target.node, inbound: false, target: where });
    try {
      if (target.node === nodeName) {
        const found = this.opts.localPort(target.ip, target.port);
        const refusal = localRefusal(nodeName, target.ip, target.port, found);
        if (refusal) throw new TunnelError('Refused', refusal);
        return { socket: await connectLocal(this.opts.host, found.hostPort!, this.timeoutMs, `pod ${where}`), link };
      }
      const tunnel = table.node(target.node)?.tunnel;
      if (!tunnel) throw new TunnelError('Unreachable', `node ${target.node} has no tunnel address (its agent is not connected)`);
      const socket = await dialTunnel(tunnel, this.opts.token, { podIP: target.ip, port: target.port }, { timeoutMs: this.timeoutMs, from: nodeName });
      return { socket, link };
    } catch (err) {
      link.failed();
      throw err instanceof TunnelError ? err : new TunnelError('Unreachable', `${where}: ${(err as Error).message}`);
    }
  }

  /** A connection to a host outside the cluster (an ExternalName service's), made from this node. */
  async dialExternal(host: string, port: number): Promise<Dialled> {
    const link = this.opts.links.get(this.opts.nodeName);
    const where = `${host}:${port}`;
    link.admit({ peer: this.opts.nodeName, inbound: false, target: where });
    try {
      return { socket: await connectLocal(host, port, this.timeoutMs, where), link };
    } catch (err) {
      link.failed();
      throw err;
    }
  }
}
