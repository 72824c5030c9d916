// A link: everything this agent carries between itself and one peer node (or its own node, for
// same-node traffic). Every proxied connection is spliced by exactly one link, which counts it and
// is the one place where network faults apply. Without a fault a connection takes the fast path
// (fast-splice.ts: large reads forwarded from the read callback, backpressure and half-close kept);
// with one, the fault's stages sit in the middle of each direction, new connections get them at
// once and open ones through interpose().

import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { byteOrder } from '@kip/shared';
import { fastSplice, type Pump } from './fast-splice.js';

/** Large socket buffers let a bulk transfer pause and resume its source less often; still bounded. */
export const SOCKET_HIGH_WATER_MARK = 256 * 1024;

/** Which way bytes go, seen from this agent: toward the peer node, or from it. */
export type LinkDirection = 'toPeer' | 'fromPeer';

/** What a fault knows about a connection when it is admitted or shaped. */
export interface LinkConnectionInfo {
  peer: string;
  /** true when the peer dialled us (an incoming tunnel), false when we dialled out */
  inbound: boolean;
  /** where it goes: "10.244.2.7:8080" */
  target: string;
}

/**
 * A network fault on a link: latency, bandwidth, resets, timeouts or a partition. Both
 * hooks are optional; a link without a fault, or a fault without stages, costs nothing per byte.
 */
export interface LinkFault {
  /** Decides whether a new connection may cross the link: an Error refuses it (partition, reset). */
  admit?(info: LinkConnectionInfo): Error | undefined;
  /** A stream to put in one direction of a new connection (delay, throttle); undefined for none. */
  stage?(direction: LinkDirection, info: LinkConnectionInfo): Duplex | undefined;
}

export interface LinkStats {
  peer: string;
  /** the link of this agent's own node: same-node traffic */
  local: boolean;
  /** connections opened over the link since the agent started */
  opened: number;
  active: number;
  /** payload bytes sent toward the peer side */
  bytesSent: number;
  /** payload bytes received from the peer side */
  bytesReceived: number;
  /** dials that failed or were refused, and connections that ended in an error or reset */
  errors: number;
  /** whether a fault is set */
  faulty: boolean;
}

/** One connection carried by a link: what a fault may act on. */
export interface LinkConnection {
  readonly info: LinkConnectionInfo;
  /** Tears the connection down; with an error, both ends get a reset. */
  destroy(err?: Error): void;
  /**
   * Puts a stage into one direction of the open connection, for a fault set after it opened;
   * false when that direction has a stage already or has ended.
   */
  interpose?(direction: LinkDirection, stage: Duplex): boolean;
}

/** A connection the proxy carries between two sockets of its own. */
export interface CarriedConnection extends LinkConnection {
  /** bytes this agent holds for the connection in its own buffers (both sockets, both ways) */
  readonly buffered: number;
  /** carried by the fast path (fast-splice.ts), not by pipes */
  readonly fast: boolean;
}

class Carried implements CarriedConnection {
  /** Directions carried by plain pipes with no stage yet, as [source, destination]. */
  plain: Partial<Record<LinkDirection, [Socket | Duplex, Socket | Duplex]>> = {};

  constructor(
    readonly info: LinkConnectionInfo,
    /** this agent's side: the client socket, for an inbound tunnel the pod, or the HTTP proxy's stream */
    readonly near: Socket | Duplex,
    /** the socket toward the peer side: the tunnel, or for same-node traffic the pod */
    readonly far: Socket,
    /** far's counters where this connection's payload starts (handshakes before it are not counted) */
    private readonly baseRead: number,
    private baseWritten: number,
    /** the fast path's pumps, when it carries the connection */
    private readonly pumps?: Record<LinkDirection, Pump>,
  ) {}

  /** Bytes about to be written to far that are not payload (a tunnel's status frame). */
  notPayload(bytes: number): void {
    this.baseWritten += bytes;
  }

  get fast(): boolean {
    return this.pumps !== undefined;
  }

  get buffered(): number {
    return this.near.writableLength + this.near.readableLength + this.far.writableLength + this.far.readableLength;
  }

  get sent(): number {
    return (this.far.bytesWritten ?? this.baseWritten) - this.baseWritten;
  }
  get received(): number {
    return (this.far.bytesRead ?? this.baseRead) - this.baseRead;
  }

  destroy(err?: Error): void {
    if (err) {
      reset(this.near);
      reset(this.far);
      this.near.destroy(err);
    } else {
      this.near.destroy();
      this.far.destroy();
    }
  }

  interpose(direction: LinkDirection, stage: Duplex): boolean {
    if (this.near.destroyed || this.far.destroyed) return false;
    if (this.pumps) {
      if (!this.pumps[direction].interpose(stage)) return false;
    } else {
      const ends = this.plain[direction];
      if (!ends || ends[0].destroyed || ends[1].destroyed || ends[0].readableEnded) return false;
      delete this.plain[direction];
      const [from, to] = ends;
      // unpipe pauses the source with its unread bytes kept; piping it on resumes it in order.
      from.unpipe(to);
      from.pipe(stage).pipe(to);
    }
    stage.on('error', (err) => this.destroy(err));
    // Only once both sockets are gone: one side closing cleanly while the stage still holds bytes
    // for the other (a delay queue) must not lose them.
    const done = () => {
      if (this.near.destroyed && this.far.destroyed) stage.destroy();
    };
    for (const s of [this.near, this.far]) s.once('close', done);
    return true;
  }
}

/** Closes a socket with a TCP reset, so that the peer sees ECONNRESET as it would on a real network. */
export function reset(s: Socket | Duplex): void {
  if (s.destroyed) return;
  if ('resetAndDestroy' in s && typeof s.resetAndDestroy === 'function' && !s.connecting) s.resetAndDestroy();
  else s.destroy();
}

export class Link {
  private fault: LinkFault | undefined;
  private readonly carried = new Set<Carried>();
  private opened = 0;
  private errors = 0;
  private closedSent = 0;
  private closedReceived = 0;

  constructor(
    readonly peer: string,
    readonly local: boolean,
  ) {}

  /** Sets (or clears) the fault; it applies to connections admitted from now on. */
  setFault(fault: LinkFault | undefined): void {
    this.fault = fault;
  }

  get currentFault(): LinkFault | undefined {
    return this.fault;
  }

  /** The connections the link carries now, for a fault that must act on them (a partition resets them). */
  connections(): CarriedConnection[] {
    return [...this.carried];
  }

  /** Throws the fault's refusal if a new connection may not cross the link. */
  admit(info: LinkConnectionInfo): void {
    const refusal = this.fault?.admit?.(info);
    if (refusal) {
      this.errors++;
      throw refusal;
    }
  }

  /** A dial over this link failed (refused, unreachable, timed out). */
  failed(): void {
    this.errors++;
  }

  /**
   * Carries bytes both ways between `near` (this agent's side) and `far` (the peer's side) until
   * both directions have ended; `first` bytes go out before any of the other side's. Half-close
   * passes through (both sockets must allow half-open); an error or reset on one side resets the
   * other. Without fault stages the fast path (fast-splice.ts) carries the bytes; with stages, or
   * when a socket cannot be adopted, plain pipes do.
   */
  splice(near: Socket, far: Socket, info: LinkConnectionInfo, first: { toNear?: Buffer; toFar?: Buffer } = {}): CarriedConnection {
    const fault = this.fault;
    const toPeer = fault?.stage?.('toPeer', info);
    const fromPeer = fault?.stage?.('fromPeer', info);
    // Bytes far has read that nobody consumed yet are this connection's payload too.
    const baseRead = far.bytesRead - far.readableLength;
    const fast = toPeer || fromPeer ? undefined : fastSplice(near, far);
    if (fast) ({ near, far } = fast);
    const c = new Carried(info, near, far, baseRead, far.bytesWritten, fast ? { toPeer: fast.toPeer, fromPeer: fast.fromPeer } : undefined);
    this.opened++;
    this.carried.add(c);
    near.setNoDelay(true);
    far.setNoDelay(true);
    let failed = false;
    const fail = () => {
      if (failed) return;
      failed = true;
      this.errors++;
      reset(near);
      reset(far);
      toPeer?.destroy();
      fromPeer?.destroy();
    };
    for (const s of [near, far]) s.on('error', fail);
    for (const st of [toPeer, fromPeer]) st?.on('error', fail);
    const onClose = (self: Socket, other: Socket) => () => {
      // A socket that closed without ending both ways was torn down (an error has already reset
      // the other side): take the other side with it.
      if ((!self.readableEnded || !self.writableFinished) && !other.destroyed) other.destroy();
      if (near.destroyed && far.destroyed && this.carried.delete(c)) {
        this.closedSent += c.sent;
        this.closedReceived += c.received;
        toPeer?.destroy();
        fromPeer?.destroy();
      }
    };
    near.once('close', onClose(near, far));
    far.once('close', onClose(far, near));
    if (first.toNear) near.write(first.toNear);
    if (first.toFar) {
      c.notPayload(first.toFar.length);
      far.write(first.toFar);
    }
    if (fast) {
      for (const b of fast.fromNear) far.write(b);
      for (const b of fast.fromFar) near.write(b);
      return c;
    }
    if (toPeer) near.pipe(toPeer).pipe(far);
    else {
      near.pipe(far);
      c.plain.toPeer = [near, far];
    }
    if (fromPeer) far.pipe(fromPeer).pipe(near);
    else {
      far.pipe(near);
      c.plain.fromPeer = [far, near];
    }
    return c;
  }

  /**
   * Carries a connection whose near side is not a socket (the HTTP proxy forwarding a request with
   * Node's HTTP client). Answers the stream to use in place of `far`: `far` itself without a fault,
   * else a duplex through the fault's stages. Counted like a spliced connection.
   */
  attach(far: Socket, info: LinkConnectionInfo): { stream: Duplex; connection: CarriedConnection } {
    far.setNoDelay(true);
    const fault = this.fault;
    const toPeer = fault?.stage?.('toPeer', info);
    const fromPeer = fault?.stage?.('fromPeer', info);
    let stream: Duplex = far;
    if (toPeer || fromPeer) {
      const writable = toPeer ?? far;
      const readable = fromPeer ?? far;
      if (toPeer) toPeer.pipe(far);
      if (fromPeer) far.pipe(fromPeer);
      stream = Duplex.from({ writable, readable });
      for (const st of [toPeer, fromPeer]) st?.on('error', (err) => far.destroy(err));
      far.once('close', () => {
        toPeer?.destroy();
        fromPeer?.destroy();
      });
    }
    const c = new Carried(info, stream, far, far.bytesRead - far.readableLength, far.bytesWritten);
    this.opened++;
    this.carried.add(c);
    far.on('error', () => this.errors++);
    far.once('close', () => {
      if (this.carried.delete(c)) {
        this.closedSent += c.sent;
        this.closedReceived += c.received;
      }
    });
    return { stream, connection: c };
  }

  stats(): LinkStats {
    let sent = this.closedSent;
    let received = this.closedReceived;
    for (const c of this.carried) {
      sent += c.sent;
      received += c.received;
    }
    return {
      peer: this.peer,
      local: this.local,
      opened: this.opened,
      active: this.carried.size,
      bytesSent: sent,
      bytesReceived: received,
      errors: this.errors,
      faulty: this.fault !== undefined,
    };
  }

  /** Tears down every connection (agent shutdown). */
  closeAll(): void {
    for (const c of this.carried) c.destroy();
  }
}

/** The links of one agent, created on first use: one per peer node, one for its own node. */
/** Peers counted on a link of their own, at most; connections from further names share UNKNOWN_PEER's. */
export const MAX_PEERS = 1024;
export const UNKNOWN_PEER = 'unknown';

export class Links {
  private readonly byPeer = new Map<string, Link>();

  constructor(private readonly self: string) {}

  get(peer: string): Link {
    const known = this.byPeer.get(peer);
    if (known) return known;
    // Peer names come from tunnel hellos too: a new name in each must not grow this map without end.
    const name = this.byPeer.size < MAX_PEERS ? peer : UNKNOWN_PEER;
    let l = this.byPeer.get(name);
    if (!l) this.byPeer.set(name, (l = new Link(name, name === this.self)));
    return l;
  }

  has(peer: string): boolean {
    return this.byPeer.has(peer);
  }

  all(): Link[] {
    return [...this.byPeer.values()].sort((a, b) => byteOrder(a.peer, b.peer));
  }

  stats(): LinkStats[] {
    return this.all().map((l) => l.stats());
  }

  closeAll(): void {
    for (const l of this.byPeer.values()) l.closeAll();
  }
}
