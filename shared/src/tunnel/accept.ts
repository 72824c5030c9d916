// The accepting side of a tunnel: read the hello from a fresh connection and check its proof. What
// to do with the target (dial a pod) is the agent's business; this file answers the status frame
// for it. A connection whose hello is malformed or whose proof fails is answered and closed at
// once, before any byte of it reaches anything.

import type { Socket } from 'node:net';
import { TunnelError, type TunnelErrorCode } from './errors.js';
import { MAX_HELLO_BYTES, decodeHello, encodeStatus, readFrame } from './frames.js';
import { DEFAULT_FRESHNESS_MS, ReplayGuard, verifyHello } from './proof.js';

export interface TunnelAcceptorOptions {
  token: string;
  /** how long a new connection may take to send its hello (default 5 s) */
  helloTimeoutMs?: number;
  freshnessMs?: number;
  now?: () => number;
}

/** What a verified hello asks for. */
export interface TunnelTarget {
  podIP: string;
  port: number;
  /** the dialler's name as it signed it: a node, or "controlplane" */
  from: string;
}

/** Kept after the status is written, so that a peer that never reads cannot pin the socket. */
const LINGER_MS = 1000;

export class TunnelAcceptor {
  private readonly guard: ReplayGuard;
  private readonly helloTimeoutMs: number;
  private readonly freshnessMs: number;
  private readonly now: () => number;

  constructor(private readonly opts: TunnelAcceptorOptions) {
    this.freshnessMs = opts.freshnessMs ?? DEFAULT_FRESHNESS_MS;
    this.guard = new ReplayGuard(this.freshnessMs);
    this.helloTimeoutMs = opts.helloTimeoutMs ?? 5000;
    this.now = opts.now ?? Date.now;
  }

  /**
   * Reads and verifies the hello. On success the socket is left paused for the caller, who must
   * answer with ok() or refuse(). On failure the status has been sent, the socket is closing, and
   * the promise rejects with the reason.
   */
  async accept(socket: Socket): Promise<TunnelTarget> {
    try {
      const body = await readFrame(socket, MAX_HELLO_BYTES, this.helloTimeoutMs, 'tunnel hello');
      const hello = decodeHello(body);
      verifyHello(hello, this.opts.token, { now: this.now(), freshnessMs: this.freshnessMs, guard: this.guard });
      return { podIP: hello.podIP, port: hello.port, from: hello.from };
    } catch (err) {
      const e = err instanceof TunnelError ? err : new TunnelError('ProtocolError', (err as Error).message);
      if (e.code === 'BadProof' || e.code === 'ProtocolError') this.refuse(socket, e.code, e.message);
      else socket.destroy();
      throw e;
    }
  }

  /** The pod is connected: from here on the socket carries the pod's bytes. */
  ok(socket: Socket): void {
    socket.write(encodeStatus('Ok'));
  }

  /** Answers why the tunnel cannot be opened, and closes it. */
  refuse(socket: Socket, code: TunnelErrorCode, reason: string): void {
    if (socket.destroyed) return;
    // Whatever else the peer sends is not read; errors from a peer that hangs up are expected.
    socket.on('error', () => undefined);
    socket.end(encodeStatus(code, reason));
    const t = setTimeout(() => socket.destroy(), LINGER_MS);
    t.unref();
    socket.once('close', () => clearTimeout(t));
    socket.destroySoon();
  }
}
