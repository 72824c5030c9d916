// The agent's link to the control plane, made faultable. The agent's WebSocket opens its TCP
// connection through here (ws's createConnection): a Duplex that looks enough like a socket for
// Node's HTTP client and ws, with a fault stage in each direction, shaped by the control-plane
// link's LinkShaper. Delay, bandwidth, resets, timeouts and partitions then act on the
// agent <-> control plane traffic as they act on pod traffic between nodes.
//
// A partition is honest about TCP: a connection opened during one is not dialled until it heals
// (no SYN gets through), and when the agent gives up on a connection during one, the real socket
// is closed only when the hold lifts (its FIN would not have got through either), so the control
// plane sees a silent node, not a closed connection: the split-brain case.

import net from 'node:net';
import { Duplex } from 'node:stream';
import type { Logger } from '@kip/shared';
import type { LinkConnection, LinkConnectionInfo } from '../proxy/link.js';
import type { LinkShaper } from './link-shaper.js';
import { FaultStage } from './stage.js';

export const CONTROL_PLANE_PEER = 'control-plane';

export interface ControlPlaneTarget {
  host: string;
  port: number;
  /** Set when the agent speaks TLS to the control plane: the side channel must too. */
  tls?: { ca?: string };
}

export class ControlPlaneConnection extends Duplex implements LinkConnection {
  readonly info: LinkConnectionInfo;
  private socket?: net.Socket;
  private readonly toPeer: FaultStage;
  private readonly fromPeer: FaultStage;
  private readonly unsubscribe: () => void;
  private idleMs = 0;
  private idleTimer?: NodeJS.Timeout;
  /** the real socket, kept open after destroy until a hold toward the control plane lifts */
  private lingering?: net.Socket;
  private destroying = false;

  constructor(
    private readonly shaper: LinkShaper,
    private readonly target: ControlPlaneTarget,
    private readonly log: Logger,
  ) {
    super({ allowHalfOpen: false });
    this.info = { peer: CONTROL_PLANE_PEER, inbound: false, target: `${target.host}:${target.port}` };
    this.toPeer = new FaultStage(shaper, 'toPeer');
    this.fromPeer = new FaultStage(shaper, 'fromPeer');
    this.fromPeer.on('data', (chunk: Buffer) => {
      this.touch();
      if (!this.push(chunk)) this.fromPeer.pause();
    });
    this.fromPeer.on('end', () => this.push(null));
    for (const st of [this.toPeer, this.fromPeer]) st.on('error', (err) => this.destroy(err));
    this.unsubscribe = shaper.subscribe(() => this.onShapeChange());
    // A reset fault may refuse the connection outright, as it refuses pod connections.
    const refusal = shaper.admit(this.info);
    if (refusal) process.nextTick(() => this.destroy(refusal));
    else this.onShapeChange();
  }

  /** Dials once nothing holds new connections; lets a lingering socket go once nothing holds the way out. */
  private onShapeChange(): void {
    if (this.lingering && !this.toPeer.held) {
      this.lingering.destroy();
      this.lingering = undefined;
      this.unsubscribe();
      return;
    }
    if (!this.socket && !this.destroyed && !this.destroying && !this.shaper.holdsNew()) this.dial();
  }

  private dial(): void {
    const s = net.connect({ host: this.target.host, port: this.target.port, noDelay: true });
    this.socket = s;
    s.on('connect', () => this.emit('connect'));
    s.on('error', (err) => this.destroy(err));
    s.on('close', () => {
      if (!this.destroyed && this.lingering !== s) this.destroy();
    });
    this.toPeer.pipe(s);
    s.pipe(this.fromPeer);
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.touch();
    if (this.toPeer.write(chunk)) cb();
    else this.toPeer.once('drain', () => cb());
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.toPeer.end();
    cb();
  }

  override _read(): void {
    this.fromPeer.resume();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.destroying = true;
    clearTimeout(this.idleTimer);
    const s = this.socket;
    const reset = (err as { code?: string } | null)?.code === 'ECONNRESET';
    if (s && !s.destroyed && !s.connecting && !reset && this.toPeer.held) {
      // The close would not reach the control plane through the hold: it waits with the socket.
      this.lingering = s;
      s.unpipe(this.fromPeer);
      this.log.debug('connection to the control plane dropped during a network fault; closing it when the fault heals');
    } else {
      this.unsubscribe();
      if (s && reset && !s.connecting) s.resetAndDestroy();
      else s?.destroy();
    }
    this.toPeer.destroy();
    this.fromPeer.destroy();
    cb(err);
  }

  /** bytes held in the stages and the socket's buffers */
  get buffered(): number {
    return this.toPeer.buffered + this.fromPeer.buffered + (this.socket?.writableLength ?? 0) + this.readableLength;
  }

  // ---- enough of net.Socket for the HTTP client and ws ---------------------------------------------

  setNoDelay(_noDelay?: boolean): this {
    return this;
  }

  setKeepAlive(_enable?: boolean, _delay?: number): this {
    return this;
  }

  ref(): this {
    return this;
  }

  unref(): this {
    return this;
  }

  /** An idle timeout as net.Socket has one: 'timeout' after ms without traffic (the handshake timeout uses it). */
  setTimeout(ms: number, cb?: () => void): this {
    this.idleMs = ms;
    if (cb) this.once('timeout', cb);
    this.touch();
    return this;
  }

  private touch(): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (this.idleMs > 0 && !this.destroyed) {
      this.idleTimer = setTimeout(() => this.emit('timeout'), this.idleMs);
      this.idleTimer.unref();
    }
  }

  get remoteAddress(): string {
    return this.target.host;
  }

  get remotePort(): number {
    return this.target.port;
  }
}
