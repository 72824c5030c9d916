// The server side of a SPDY/3.1 session, as the kubelet's streaming server is to kubectl: the
// client opens streams (SYN_STREAM), the server accepts each with SYN_REPLY or refuses it with
// RST_STREAM, and each stream is a Duplex of its DATA frames. PINGs from the client are echoed.
// Like moby/spdystream, which kubectl uses, no flow-control window is enforced: WINDOW_UPDATE and
// SETTINGS are accepted and ignored, and the transport's own backpressure paces the sender.
//
// The transport is any Duplex of the session's bytes: the socket after an HTTP `Upgrade: SPDY/3.1`,
// or a WebSocket's binary messages (kubectl's "SPDY over WebSocket" tunnel).

import { Duplex } from 'node:stream';
import { encodeFrame, Flag, FrameReader, GoAwayStatus, MAX_FRAME_PAYLOAD, RstStatus, SpdyProtocolError, type Frame } from './frames.js';
import { HeaderDeflater, HeaderInflater, type SpdyHeaders } from './headers.js';

/** How long a closing session waits for the peer to close its side of the transport. */
const CLOSE_GRACE_MS = 5_000;

export interface SpdySessionOptions {
  /** Called for each stream the client opens; throwing refuses it (RST_STREAM REFUSED_STREAM). */
  onStream(stream: SpdyStream): void;
  /** Called once when the session ends, with the protocol error that ended it if any. */
  onClose?(err?: Error): void;
}

/** One stream of a session: readable is what the client sends on it, writable what it is sent. */
export class SpdyStream extends Duplex {
  private remoteFinished = false;
  private resetByPeer = false;

  constructor(
    private readonly session: SpdySession,
    readonly id: number,
    readonly headers: SpdyHeaders,
  ) {
    super({ allowHalfOpen: true });
  }

  /** The first value of a header, by its lowercase name. */
  header(name: string): string | undefined {
    return this.headers[name]?.[0];
  }

  /** Ends the stream abruptly (RST_STREAM CANCEL), discarding what is unsent. */
  reset(): void {
    this.destroy();
  }

  /** @internal DATA from the client. */
  receive(data: Buffer, fin: boolean): void {
    if (this.remoteFinished || this.destroyed) return;
    if (data.length > 0 && !this.push(data)) this.session.pauseInput();
    if (fin) {
      this.remoteFinished = true;
      this.push(null);
    }
  }

  /** @internal RST_STREAM from the client. */
  resetFromPeer(): void {
    this.resetByPeer = true;
    this.destroy();
  }

  override _read(): void {
    this.session.resumeInput();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, done: (err?: Error | null) => void): void {
    this.session.sendData(this.id, chunk, false, done);
  }

  override _final(done: (err?: Error | null) => void): void {
    this.session.sendData(this.id, Buffer.alloc(0), true, done);
  }

  override _destroy(err: Error | null, done: (err?: Error | null) => void): void {
    // A stream both ends finished needs no reset; one the peer reset must not be reset back.
    if (!this.resetByPeer && !(this.remoteFinished && this.writableFinished)) this.session.sendReset(this.id, RstStatus.Cancel);
    this.session.forget(this.id);
    done(err);
  }
}

export class SpdySession {
  private readonly reader = new FrameReader();
  private readonly inflater = new HeaderInflater();
  private readonly deflater = new HeaderDeflater();
  private readonly streams = new Map<number, SpdyStream>();
  /** Frames are handled one at a time, in order: a header block's decompression is asynchronous. */
  private queue: Promise<void> = Promise.resolve();
  private lastStreamId = 0;
  private closed = false;
  private inputPaused = false;
  private readonly drainWaiters: (() => void)[] = [];

  constructor(
    private readonly transport: Duplex,
    private readonly opts: SpdySessionOptions,
  ) {
    transport.on('data', (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = this.reader.push(chunk);
      } catch (err) {
        return this.fail(err as Error);
      }
      for (const frame of frames) this.queue = this.queue.then(() => this.handle(frame)).catch((err: Error) => this.fail(err));
    });
    transport.on('drain', () => {
      for (const waiter of this.drainWaiters.splice(0)) waiter();
    });
    transport.on('error', () => this.close());
    transport.on('close', () => this.close());
    transport.on('end', () => this.close());
  }

  /** Ends the session: every stream is destroyed and the transport closed. */
  close(err?: Error): void {
    if (this.closed) return;
    this.closed = true;
    for (const stream of [...this.streams.values()]) stream.destroy();
    this.streams.clear();
    this.inflater.close();
    for (const waiter of this.drainWaiters.splice(0)) waiter();
    this.transport.end();
    // A peer that never closes its side must not keep the socket open.
    setTimeout(() => this.transport.destroy(), CLOSE_GRACE_MS).unref();
    this.opts.onClose?.(err);
  }

  /** @internal */
  sendData(streamId: number, data: Buffer, fin: boolean, done: (err?: Error | null) => void): void {
    if (this.closed) return done(new Error('SPDY session closed'));
    let ok = true;
    for (let at = 0; at < data.length || (at === 0 && fin); at += MAX_FRAME_PAYLOAD) {
      const part = data.subarray(at, at + MAX_FRAME_PAYLOAD);
      const last = at + MAX_FRAME_PAYLOAD >= data.length;
      ok = this.write({ type: 'data', streamId, flags: fin && last ? Flag.Fin : 0, data: part });
      if (last) break;
    }
    if (ok) done();
    else this.drainWaiters.push(() => done());
  }

  /** @internal */
  sendReset(streamId: number, status: number): void {
    this.write({ type: 'rstStream', streamId, status });
  }

  /** @internal */
  forget(streamId: number): void {
    this.streams.delete(streamId);
  }

  /** @internal A stream's reader is full: stop reading the transport until it asks for more. */
  pauseInput(): void {
    this.inputPaused = true;
    this.transport.pause();
  }

  /** @internal */
  resumeInput(): void {
    if (!this.inputPaused || this.closed) return;
    this.inputPaused = false;
    this.transport.resume();
  }

  private write(frame: Frame): boolean {
    if (this.closed || this.transport.destroyed) return true;
    return this.transport.write(encodeFrame(frame));
  }

  private fail(err: Error): void {
    if (this.closed) return;
    if (err instanceof SpdyProtocolError) this.write({ type: 'goAway', lastGoodStreamId: this.lastStreamId, status: GoAwayStatus.ProtocolError });
    this.close(err);
  }

  private async handle(frame: Frame): Promise<void> {
    if (this.closed) return;
    switch (frame.type) {
      case 'synStream': {
        // Every block goes through the inflater, even a refused stream's, to keep its state in step.
        const headers = await this.inflater.inflate(frame.headerBlock);
        if (this.closed) return;
        if (frame.streamId % 2 === 0 || frame.streamId <= this.lastStreamId || this.streams.has(frame.streamId))
          return this.sendReset(frame.streamId, RstStatus.ProtocolError);
        this.lastStreamId = frame.streamId;
        const stream = new SpdyStream(this, frame.streamId, headers);
        this.streams.set(frame.streamId, stream);
        try {
          this.opts.onStream(stream);
        } catch {
          this.streams.delete(frame.streamId);
          return this.sendReset(frame.streamId, RstStatus.RefusedStream);
        }
        this.write({ type: 'synReply', streamId: frame.streamId, flags: 0, headerBlock: this.deflater.deflate({}) });
        if (frame.flags & Flag.Fin) stream.receive(Buffer.alloc(0), true);
        return;
      }
      case 'headers':
      case 'synReply':
        // Only a client gets SYN_REPLY; extra HEADERS carry nothing port forwarding uses.
        await this.inflater.inflate(frame.headerBlock);
        return;
      case 'data': {
        const stream = this.streams.get(frame.streamId);
        if (stream) stream.receive(frame.data, (frame.flags & Flag.Fin) !== 0);
        else if (frame.streamId > this.lastStreamId) this.sendReset(frame.streamId, RstStatus.InvalidStream);
        return;
      }
      case 'rstStream':
        this.streams.get(frame.streamId)?.resetFromPeer();
        return;
      case 'ping':
        // Odd ids are the client's: answer them. An even id would be the answer to a ping of ours.
        if (frame.id % 2 === 1) this.write(frame);
        return;
      case 'goAway':
        return this.close();
      case 'settings':
      case 'windowUpdate':
      case 'unknown':
        return;
    }
  }
}
