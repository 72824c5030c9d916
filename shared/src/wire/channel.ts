// A typed message channel over one WebSocket. It owns decoding: a text frame, a frame that does not
// decode, or a message of the wrong direction closes this connection with a reason, and the
// process carries on.

import type WebSocket from 'ws';
import { encode, ProtocolError } from './codec.js';
import type { Message } from './messages.js';

export const CloseCode = {
  Normal: 1000,
  GoingAway: 1001,
  ProtocolError: 1002,
  /** The handshake was refused (bad token, duplicate node, protocol version). */
  Refused: 4001,
  /** Another connection for the same node took over. */
  Replaced: 4002,
} as const;

export interface ChannelHandlers<In> {
  message(msg: In): void;
  close(code: number, reason: string): void;
}

/** WebSocket close reasons are limited to 123 bytes. */
function clip(reason: string): string {
  const b = Buffer.from(reason);
  return b.byteLength <= 123 ? reason : b.subarray(0, 120).toString() + '...';
}

export class Channel<In extends Message, Out extends Message> {
  private closed = false;

  constructor(
    readonly ws: WebSocket,
    private readonly decode: (frame: Uint8Array) => In,
    private readonly handlers: ChannelHandlers<In>,
    private readonly onProtocolError: (err: ProtocolError) => void = () => {},
  ) {
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data, isBinary) => this.receive(data as Buffer, isBinary));
    ws.on('close', (code, reason) => {
      this.closed = true;
      this.handlers.close(code, reason.toString());
    });
    // Errors (reset connections, oversize frames) are followed by 'close'; nothing to add here.
    ws.on('error', () => {});
  }

  private receive(data: Buffer | Buffer[], isBinary: boolean): void {
    if (this.closed) return;
    let msg: In;
    try {
      if (!isBinary) throw new ProtocolError('BadFrame', 'text frames are not part of the protocol');
      const frame = Array.isArray(data) ? Buffer.concat(data) : data;
      msg = this.decode(frame);
    } catch (err) {
      const e = err instanceof ProtocolError ? err : new ProtocolError('BadFrame', String(err));
      this.onProtocolError(e);
      this.close(CloseCode.ProtocolError, `${e.code}: ${e.message}`);
      return;
    }
    this.handlers.message(msg);
  }

  get isOpen(): boolean {
    return !this.closed && this.ws.readyState === this.ws.OPEN;
  }

  /** Bytes queued in the socket and not yet sent: a slow peer shows here first. */
  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  send(msg: Out): boolean {
    if (!this.isOpen) return false;
    this.ws.send(encode(msg), { binary: true });
    return true;
  }

  /** Sends a frame encoded once for many channels (a broadcast); the caller vouches it encodes an Out. */
  sendFrame(frame: Uint8Array): boolean {
    if (!this.isOpen) return false;
    this.ws.send(frame, { binary: true });
    return true;
  }

  close(code: number = CloseCode.Normal, reason = ''): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.ws.close(code, clip(reason));
    } catch {
      this.ws.terminate();
    }
    // A peer that does not answer the close handshake is cut off.
    const t = setTimeout(() => this.ws.terminate(), 2000);
    t.unref();
  }

  /** Drops the connection without a close handshake (the peer sees a reset). */
  terminate(): void {
    this.closed = true;
    this.ws.terminate();
  }
}
