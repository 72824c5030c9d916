// The no-fault fast path of a spliced connection: each socket reads straight into a buffer of ours
// (Node's `onread` option) and the bytes are written to the other socket from the read callback,
// with no stream machinery in between. Reads grow up to 1 MiB while a bulk stream fills them, so
// a transfer costs a few syscalls and one callback per megabyte instead of one per 64 KiB, and a
// buffer is only replaced when the other side's write still holds it. Backpressure is the read
// callback returning false (Node stops reading the socket) until the other side drains.
//
// `onread` can only be given when a socket is created, and the sockets a proxy splices were
// created by a server (accepted), by Node's HTTP server (CONNECT), or before anyone knew they would
// be spliced. So each is adopted: its handle moves into a new net.Socket that has `onread`, after
// whatever it had already buffered is taken out to be forwarded first. A socket that cannot be
// adopted safely (writes in flight, input already ended, no handle) is left alone, and the caller
// falls back to plain pipes.

import net from 'node:net';
import tls from 'node:tls';
import type { Duplex } from 'node:stream';

/**
 * Reads start at this size and double while they come back full, up to the max: an idle
 * connection holds two small buffers, a bulk stream reaches 1 MiB reads within a few reads.
 */
const MIN_READ = 16 * 1024;
const MAX_READ = 1024 * 1024;

/** The parts of net.Socket's internals adoption relies on (stable across Node 18 to 22). */
interface SocketInternals {
  _handle: { readStop(): number; reading?: boolean } | null;
  _readableState: { ended: boolean };
}

/** Moves the bytes one socket reads to another socket, or to a fault stage put in front of it. */
export class Pump {
  src!: net.Socket;
  dst!: net.Socket | Duplex;
  private size = MIN_READ;
  private buf = Buffer.allocUnsafe(MIN_READ);
  private waiting = false;
  /** a stage may keep the bytes it was given (a delay queue): then no read buffer is ever reused */
  private staged = false;
  readonly onread = { buffer: () => this.buf, callback: (n: number, b: Buffer) => this.moved(n, b) };

  private moved(n: number, b: Buffer): boolean {
    const dst = this.dst;
    if (dst.destroyed) return false;
    const ok = dst.write(n === b.length ? b : b.subarray(0, n));
    const next = n === b.length ? Math.min(this.size * 2, MAX_READ) : n < this.size / 4 ? Math.max(this.size / 2, MIN_READ) : this.size;
    // A write that did not complete at once keeps a reference to these bytes: read into new ones.
    if (this.staged || dst.writableLength > 0 || next !== this.size) {
      this.size = next;
      this.buf = Buffer.allocUnsafe(next);
    }
    if (ok) return true;
    if (!this.waiting) {
      this.waiting = true;
      dst.once('drain', () => {
        this.waiting = false;
        if (!this.src.destroyed) this.src.resume();
      });
    }
    return false;
  }

  /** The source ended: the half-close goes on through whatever is in front of the destination. */
  ended(): void {
    this.dst.end();
  }

  /**
   * Puts `stage` between the source and the destination from the next read on (a fault set on an
   * open connection). False if there is a stage already or the direction is done.
   */
  interpose(stage: Duplex): boolean {
    const real = this.dst;
    if (this.staged || real.destroyed || real.writableEnded || this.src.readableEnded) return false;
    this.staged = true;
    stage.pipe(real);
    this.dst = stage;
    return true;
  }
}

function adoptable(s: net.Socket): boolean {
  const i = s as unknown as SocketInternals;
  // A TLS socket's handle carries ciphertext: moved into a plain socket it would bypass TLS.
  if (s instanceof tls.TLSSocket) return false;
  return (
    !!i._handle &&
    !s.destroyed &&
    !s.connecting &&
    s.writableLength === 0 &&
    !s.writableEnded &&
    !i._readableState.ended &&
    typeof i._handle.readStop === 'function'
  );
}

/** What a socket had read but nobody consumed yet: forwarded before anything it reads next. */
function drain(s: net.Socket): Buffer[] {
  const out: Buffer[] = [];
  let chunk: Buffer | null;
  while ((chunk = s.read() as Buffer | null) !== null) out.push(chunk);
  return out;
}

/** Takes the handle out of `s` (which is then discarded) into a new socket reading through `pump`. */
function adopt(s: net.Socket, pump: Pump): net.Socket {
  const i = s as unknown as SocketInternals;
  const handle = i._handle!;
  handle.readStop();
  handle.reading = false;
  // Detached, the old object closes without touching the handle; its server stops counting it.
  i._handle = null;
  // Its 'close' still tells whoever tracked it (a server's connection list) that it is gone.
  s.on('error', () => undefined);
  s.destroy();
  const adopted = new net.Socket({ handle, allowHalfOpen: true, onread: pump.onread } as net.SocketConstructorOpts);
  adopted.setNoDelay(true);
  pump.src = adopted;
  return adopted;
}

export interface FastSplice {
  near: net.Socket;
  far: net.Socket;
  /** near -> far (toward the peer) and far -> near */
  toPeer: Pump;
  fromPeer: Pump;
  /** what each socket had read before it was adopted, to be written to the other first */
  fromNear: Buffer[];
  fromFar: Buffer[];
}

/**
 * Adopts both sockets for the fast path and passes each end-of-input on as a half-close. Bytes
 * they had already read come back in fromNear/fromFar: the caller writes them (after anything of
 * its own) before the pumps' first reads, which come in a later turn of the event loop. Undefined,
 * with nothing touched, when either socket cannot be adopted. Errors and close are the caller's
 * to handle, on the returned sockets.
 */
export function fastSplice(near: net.Socket, far: net.Socket): FastSplice | undefined {
  if (!adoptable(near) || !adoptable(far)) return undefined;
  near.pause();
  far.pause();
  const fromNear = drain(near);
  const fromFar = drain(far);
  const toPeer = new Pump();
  const fromPeer = new Pump();
  const n = adopt(near, toPeer);
  const f = adopt(far, fromPeer);
  toPeer.dst = f;
  fromPeer.dst = n;
  n.once('end', () => toPeer.ended());
  f.once('end', () => fromPeer.ended());
  return { near: n, far: f, toPeer, fromPeer, fromNear, fromFar };
}
