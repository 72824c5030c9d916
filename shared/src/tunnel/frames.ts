// The tunnel's two frames. A tunnel is one TCP connection from an agent (or the control plane) to
// another agent: the dialler sends one hello frame naming the target pod address and proving the
// cluster token; the acceptor answers one status frame; after an ok both sides carry raw bytes.
// Frames are binary and fixed in layout so that reading them costs nothing worth measuring and a
// peer that speaks anything else is recognised at its first bytes.
//
//   frame  = u16 length (big-endian) | body
//   hello  = "KIPT" | u8 version | 16 nonce | u64 time (ms) | 4 pod IPv4 | u16 port | u8 n | n from | 32 mac
//   status = "KIPS" | u8 status | reason (UTF-8, rest of the body)

import type { Socket } from 'node:net';
import { ipToNumber } from '../ipv4.js';
import { TunnelError } from './errors.js';

export const TUNNEL_VERSION = 1;
const HELLO_MAGIC = Buffer.from('KIPT');
const STATUS_MAGIC = Buffer.from('KIPS');
export const NONCE_BYTES = 16;
export const MAC_BYTES = 32;
const FIXED_HELLO = 4 + 1 + NONCE_BYTES + 8 + 4 + 2 + 1;
/** The longest hello: the fixed part, a 255-byte node name and the MAC. */
export const MAX_HELLO_BYTES = FIXED_HELLO + 255 + MAC_BYTES;
/** Longer reasons are cut: a status frame is a one-line answer, not a log. */
export const MAX_REASON_BYTES = 1024;
export const MAX_STATUS_BYTES = 4 + 1 + MAX_REASON_BYTES;

export const TunnelStatus = {
  Ok: 0,
  Refused: 1,
  BadProof: 2,
  Unreachable: 3,
  Timeout: 4,
  ProtocolError: 5,
} as const;
export type TunnelStatusName = keyof typeof TunnelStatus;
export type TunnelStatusCode = (typeof TunnelStatus)[TunnelStatusName];
const STATUS_NAMES = Object.fromEntries(Object.entries(TunnelStatus).map(([k, v]) => [v, k])) as Record<number, TunnelStatusName>;

/** What a hello carries, before it is signed. */
export interface TunnelHelloFields {
  nonce: Buffer;
  /** ms since the epoch, the dialler's clock */
  time: number;
  podIP: string;
  port: number;
  /** who is dialling: a node name, or e.g. "controlplane"; attributes the connection to a link */
  from: string;
}

export interface TunnelHello extends TunnelHelloFields {
  mac: Buffer;
  /** the bytes the MAC covers (the body without the MAC) */
  signed: Buffer;
}

export interface TunnelStatusFrame {
  status: TunnelStatusName;
  reason: string;
}

function ipv4Bytes(ip: string): Buffer | undefined {
  const n = ipToNumber(ip);
  if (n === undefined) return undefined;
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

function frame(body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(2 + body.length);
  out.writeUInt16BE(body.length, 0);
  body.copy(out, 2);
  return out;
}

/** The hello body without its MAC: the exact bytes the proof signs. */
export function encodeHelloFields(h: TunnelHelloFields): Buffer {
  const ip = ipv4Bytes(h.podIP);
  if (!ip) throw new TunnelError('ProtocolError', `tunnel target "${h.podIP}" is not an IPv4 address`);
  if (!Number.isInteger(h.port) || h.port < 1 || h.port > 65535) throw new TunnelError('ProtocolError', `tunnel target port ${h.port} is not 1..65535`);
  if (h.nonce.length !== NONCE_BYTES) throw new TunnelError('ProtocolError', `tunnel nonce must be ${NONCE_BYTES} bytes`);
  const from = Buffer.from(h.from, 'utf8');
  if (from.length > 255) throw new TunnelError('ProtocolError', 'tunnel "from" name is longer than 255 bytes');
  const body = Buffer.allocUnsafe(FIXED_HELLO + from.length);
  let o = HELLO_MAGIC.copy(body, 0);
  o = body.writeUInt8(TUNNEL_VERSION, o);
  o += h.nonce.copy(body, o);
  o = body.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(h.time))), o);
  o += ip.copy(body, o);
  o = body.writeUInt16BE(h.port, o);
  o = body.writeUInt8(from.length, o);
  from.copy(body, o);
  return body;
}

/** A complete hello frame, length prefix included. */
export function encodeHello(signed: Buffer, mac: Buffer): Buffer {
  if (mac.length !== MAC_BYTES) throw new TunnelError('ProtocolError', `tunnel MAC must be ${MAC_BYTES} bytes`);
  return frame(Buffer.concat([signed, mac]));
}

/** Parses a hello body (without the length prefix); throws ProtocolError naming what is wrong. */
export function decodeHello(body: Buffer): TunnelHello {
  if (body.length < 4 || !body.subarray(0, 4).equals(HELLO_MAGIC)) throw new TunnelError('ProtocolError', 'not a kip tunnel hello (bad magic)');
  if (body.length < FIXED_HELLO + MAC_BYTES) throw new TunnelError('ProtocolError', `tunnel hello too short (${body.length} bytes)`);
  const version = body.readUInt8(4);
  if (version !== TUNNEL_VERSION)
    throw new TunnelError('ProtocolError', `tunnel protocol version ${version} is not supported (this agent speaks ${TUNNEL_VERSION})`);
  let o = 5;
  const nonce = Buffer.from(body.subarray(o, o + NONCE_BYTES));
  o += NONCE_BYTES;
  const time = Number(body.readBigUInt64BE(o));
  o += 8;
  const podIP = [...body.subarray(o, o + 4)].join('.');
  o += 4;
  const port = body.readUInt16BE(o);
  o += 2;
  const fromLen = body.readUInt8(o);
  o += 1;
  if (body.length !== o + fromLen + MAC_BYTES) throw new TunnelError('ProtocolError', `tunnel hello length ${body.length} does not match its contents`);
  if (port === 0) throw new TunnelError('ProtocolError', 'tunnel target port 0 is not valid');
  const from = body.subarray(o, o + fromLen).toString('utf8');
  o += fromLen;
  return { nonce, time, podIP, port, from, signed: Buffer.from(body.subarray(0, o)), mac: Buffer.from(body.subarray(o)) };
}

export function encodeStatus(status: TunnelStatusName, reason = ''): Buffer {
  let r = Buffer.from(reason, 'utf8');
  if (r.length > MAX_REASON_BYTES) r = r.subarray(0, MAX_REASON_BYTES);
  const body = Buffer.allocUnsafe(5 + r.length);
  STATUS_MAGIC.copy(body, 0);
  body.writeUInt8(TunnelStatus[status], 4);
  r.copy(body, 5);
  return frame(body);
}

export function decodeStatus(body: Buffer): TunnelStatusFrame {
  if (body.length < 5 || !body.subarray(0, 4).equals(STATUS_MAGIC))
    throw new TunnelError('ProtocolError', 'the far side did not answer with a kip tunnel status (bad magic)');
  const code = body.readUInt8(4);
  const status = STATUS_NAMES[code];
  if (!status) throw new TunnelError('ProtocolError', `unknown tunnel status ${code}`);
  return { status, reason: body.subarray(5).toString('utf8') };
}

/**
 * Incremental reader of one length-prefixed frame: feed it chunks; it answers the frame body and
 * whatever bytes came after it, once the frame is complete.
 */
export class FrameReader {
  private buf: Buffer = Buffer.alloc(0);

  constructor(private readonly maxBody: number) {}

  push(chunk: Buffer): { body: Buffer; rest: Buffer } | undefined {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    if (this.buf.length < 2) return undefined;
    const len = this.buf.readUInt16BE(0);
    if (len > this.maxBody) throw new TunnelError('ProtocolError', `tunnel frame of ${len} bytes is longer than the ${this.maxBody} allowed`);
    if (this.buf.length < 2 + len) return undefined;
    return { body: this.buf.subarray(2, 2 + len), rest: this.buf.subarray(2 + len) };
  }
}

/**
 * Reads one frame from a socket, then leaves the socket paused with any bytes that followed the
 * frame put back, so that whoever pipes it next sees the stream exactly as sent.
 */
export function readFrame(socket: Socket, maxBody: number, timeoutMs: number, what: string): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const reader = new FrameReader(maxBody);
    let done = false;
    const finish = (err: Error | undefined, body?: Buffer, rest?: Buffer) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.off('readable', onReadable);
      socket.off('end', onEnd);
      socket.off('error', onError);
      socket.off('close', onEnd);
      if (err) return reject(err);
      if (rest && rest.length > 0) socket.unshift(rest);
      resolve(body!);
    };
    const onReadable = () => {
      let chunk: Buffer | null;
      while (!done && (chunk = socket.read() as Buffer | null) !== null) {
        try {
          const got = reader.push(chunk);
          if (got) finish(undefined, Buffer.from(got.body), got.rest);
        } catch (err) {
          finish(err as Error);
        }
      }
    };
    const onEnd = () => finish(new TunnelError('ProtocolError', `connection closed before the ${what} arrived`));
    const onError = (err: Error) => finish(new TunnelError('Unreachable', `${what}: ${err.message}`));
    const timer = setTimeout(() => finish(new TunnelError('Timeout', `no ${what} within ${timeoutMs} ms`)), timeoutMs);
    socket.on('readable', onReadable);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.on('error', onError);
    onReadable();
  });
}
