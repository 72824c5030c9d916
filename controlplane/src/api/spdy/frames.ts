// SPDY/3.1 framing (the SPDY/3.1 draft, "Framing Layer"), as kubectl's SPDY streams speak it: an
// 8-byte header, then the payload. A control frame starts with the control bit, version 3 and a
// type; a data frame with a 31-bit stream id. Header blocks stay compressed here: the session
// owns the per-connection zlib streams (header-compression.ts) that must see every block in order.

export const SPDY_VERSION = 3;

export const FrameType = {
  SynStream: 1,
  SynReply: 2,
  RstStream: 3,
  Settings: 4,
  Ping: 6,
  GoAway: 7,
  Headers: 8,
  WindowUpdate: 9,
} as const;

/** FLAG_FIN on data frames and SYN_STREAM/SYN_REPLY/HEADERS; FLAG_UNIDIRECTIONAL on SYN_STREAM. */
export const Flag = { Fin: 0x01, Unidirectional: 0x02 } as const;

export const RstStatus = {
  ProtocolError: 1,
  InvalidStream: 2,
  RefusedStream: 3,
  UnsupportedVersion: 4,
  Cancel: 5,
  InternalError: 6,
  FlowControlError: 7,
  StreamInUse: 8,
  StreamAlreadyClosed: 9,
  FrameTooLarge: 11,
} as const;

export const GoAwayStatus = { Ok: 0, ProtocolError: 1, InternalError: 2 } as const;

/** The largest payload a frame's 24-bit length can say. */
export const MAX_FRAME_PAYLOAD = 0xffffff;

export type Frame =
  | { type: 'data'; streamId: number; flags: number; data: Buffer }
  | { type: 'synStream'; streamId: number; associatedTo: number; priority: number; flags: number; headerBlock: Buffer }
  | { type: 'synReply'; streamId: number; flags: number; headerBlock: Buffer }
  | { type: 'headers'; streamId: number; flags: number; headerBlock: Buffer }
  | { type: 'rstStream'; streamId: number; status: number }
  | { type: 'settings'; flags: number; entries: { flags: number; id: number; value: number }[] }
  | { type: 'ping'; id: number }
  | { type: 'goAway'; lastGoodStreamId: number; status: number }
  | { type: 'windowUpdate'; streamId: number; delta: number }
  /** A control frame type this version does not define: the draft says to ignore it. */
  | { type: 'unknown'; frameType: number };

/** The peer broke the framing; the session answers with GOAWAY and closes. */
export class SpdyProtocolError extends Error {
  readonly code = 'SPDY_PROTOCOL_ERROR';
  constructor(message: string) {
    super(message);
    this.name = 'SpdyProtocolError';
  }
}

const ID_MASK = 0x7fffffff;

/** Cuts a byte stream into frames; feed it whatever arrives, in order. */
export class FrameReader {
  private buffered: Buffer = Buffer.alloc(0);

  /** The frames complete so far; a partial frame stays buffered for the next push. */
  push(chunk: Buffer): Frame[] {
    this.buffered = this.buffered.length === 0 ? chunk : Buffer.concat([this.buffered, chunk]);
    const frames: Frame[] = [];
    while (this.buffered.length >= 8) {
      const length = this.buffered.readUIntBE(5, 3);
      if (this.buffered.length < 8 + length) break;
      const head = this.buffered.subarray(0, 8);
      const payload = this.buffered.subarray(8, 8 + length);
      this.buffered = this.buffered.subarray(8 + length);
      frames.push(decodeFrame(head, payload));
    }
    return frames;
  }
}

function decodeFrame(head: Buffer, payload: Buffer): Frame {
  const flags = head[4]!;
  if ((head[0]! & 0x80) === 0) return { type: 'data', streamId: head.readUInt32BE(0) & ID_MASK, flags, data: payload };
  const version = head.readUInt16BE(0) & 0x7fff;
  if (version !== SPDY_VERSION) throw new SpdyProtocolError(`unsupported SPDY version ${version}: only 3 is spoken`);
  const type = head.readUInt16BE(2);
  const need = (n: number, name: string) => {
    if (payload.length < n) throw new SpdyProtocolError(`${name} frame of ${payload.length} bytes is shorter than its ${n} fixed bytes`);
  };
  switch (type) {
    case FrameType.SynStream:
      need(10, 'SYN_STREAM');
      return {
        type: 'synStream',
        streamId: payload.readUInt32BE(0) & ID_MASK,
        associatedTo: payload.readUInt32BE(4) & ID_MASK,
        priority: payload[8]! >> 5,
        flags,
        headerBlock: payload.subarray(10),
      };
    case FrameType.SynReply:
      need(4, 'SYN_REPLY');
      return { type: 'synReply', streamId: payload.readUInt32BE(0) & ID_MASK, flags, headerBlock: payload.subarray(4) };
    case FrameType.Headers:
      need(4, 'HEADERS');
      return { type: 'headers', streamId: payload.readUInt32BE(0) & ID_MASK, flags, headerBlock: payload.subarray(4) };
    case FrameType.RstStream:
      need(8, 'RST_STREAM');
      return { type: 'rstStream', streamId: payload.readUInt32BE(0) & ID_MASK, status: payload.readUInt32BE(4) };
    case FrameType.Settings: {
      need(4, 'SETTINGS');
      const count = payload.readUInt32BE(0);
      need(4 + count * 8, 'SETTINGS');
      const entries = [];
      for (let i = 0; i < count; i++) {
        const at = 4 + i * 8;
        entries.push({ flags: payload[at]!, id: payload.readUIntBE(at + 1, 3), value: payload.readUInt32BE(at + 4) });
      }
      return { type: 'settings', flags, entries };
    }
    case FrameType.Ping:
      need(4, 'PING');
      return { type: 'ping', id: payload.readUInt32BE(0) };
    case FrameType.GoAway:
      need(8, 'GOAWAY');
      return { type: 'goAway', lastGoodStreamId: payload.readUInt32BE(0) & ID_MASK, status: payload.readUInt32BE(4) };
    case FrameType.WindowUpdate:
      need(8, 'WINDOW_UPDATE');
      return { type: 'windowUpdate', streamId: payload.readUInt32BE(0) & ID_MASK, delta: payload.readUInt32BE(4) & ID_MASK };
    default:
      return { type: 'unknown', frameType: type };
  }
}

function controlFrame(type: number, flags: number, payload: Buffer): Buffer {
  if (payload.length > MAX_FRAME_PAYLOAD) throw new RangeError(`a SPDY frame carries at most ${MAX_FRAME_PAYLOAD} bytes`);
  const head = Buffer.alloc(8);
  head.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  head.writeUInt16BE(type, 2);
  head[4] = flags;
  head.writeUIntBE(payload.length, 5, 3);
  return Buffer.concat([head, payload]);
}

function words(...values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeUInt32BE(v >>> 0, i * 4));
  return b;
}

/** The bytes of a frame. Header blocks must already be compressed. */
export function encodeFrame(frame: Frame): Buffer {
  switch (frame.type) {
    case 'data': {
      if (frame.data.length > MAX_FRAME_PAYLOAD) throw new RangeError(`a SPDY frame carries at most ${MAX_FRAME_PAYLOAD} bytes`);
      const head = Buffer.alloc(8);
      head.writeUInt32BE(frame.streamId & ID_MASK, 0);
      head[4] = frame.flags;
      head.writeUIntBE(frame.data.length, 5, 3);
      return Buffer.concat([head, frame.data]);
    }
    case 'synStream': {
      const fixed = Buffer.alloc(10);
      fixed.writeUInt32BE(frame.streamId & ID_MASK, 0);
      fixed.writeUInt32BE(frame.associatedTo & ID_MASK, 4);
      fixed[8] = (frame.priority & 0x7) << 5;
      return controlFrame(FrameType.SynStream, frame.flags, Buffer.concat([fixed, frame.headerBlock]));
    }
    case 'synReply':
      return controlFrame(FrameType.SynReply, frame.flags, Buffer.concat([words(frame.streamId & ID_MASK), frame.headerBlock]));
    case 'headers':
      return controlFrame(FrameType.Headers, frame.flags, Buffer.concat([words(frame.streamId & ID_MASK), frame.headerBlock]));
    case 'rstStream':
      return controlFrame(FrameType.RstStream, 0, words(frame.streamId & ID_MASK, frame.status));
    case 'settings': {
      const body = Buffer.alloc(4 + frame.entries.length * 8);
      body.writeUInt32BE(frame.entries.length, 0);
      frame.entries.forEach((e, i) => {
        body[4 + i * 8] = e.flags;
        body.writeUIntBE(e.id, 5 + i * 8, 3);
        body.writeUInt32BE(e.value >>> 0, 8 + i * 8);
      });
      return controlFrame(FrameType.Settings, frame.flags, body);
    }
    case 'ping':
      return controlFrame(FrameType.Ping, 0, words(frame.id));
    case 'goAway':
      return controlFrame(FrameType.GoAway, 0, words(frame.lastGoodStreamId & ID_MASK, frame.status));
    case 'windowUpdate':
      return controlFrame(FrameType.WindowUpdate, 0, words(frame.streamId & ID_MASK, frame.delta & ID_MASK));
    case 'unknown':
      throw new RangeError(`cannot encode a frame of unknown type ${frame.frameType}`);
  }
}
