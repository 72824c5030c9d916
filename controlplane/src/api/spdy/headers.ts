// SPDY/3 header blocks: a 32-bit count, then each name and value with a 32-bit length (several
// values of one name joined by NUL), compressed with zlib primed with SPDY_DICTIONARY. Each
// direction of a connection is ONE zlib stream across all its blocks, so the inflater lives as
// long as the session and must see every block in order.
//
// The blocks kip sends are written as stored (uncompressed) deflate blocks: without back
// references each one is valid on its own and is produced synchronously, so a SYN_REPLY is never
// overtaken by the stream's first DATA frame. The peer's inflater accepts any valid deflate data.

import zlib from 'node:zlib';
import { SPDY_DICTIONARY } from './dictionary.js';
import { SpdyProtocolError } from './frames.js';

/** Header names are lowercase (the draft requires it); values of a repeated name are kept in order. */
export type SpdyHeaders = Record<string, string[]>;

/** A block bigger than this, uncompressed, is refused: kubectl's are a few dozen bytes. */
export const MAX_HEADER_BLOCK = 64 * 1024;

export function encodeHeaderBlock(headers: SpdyHeaders): Buffer {
  const parts: Buffer[] = [];
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  const entries = Object.entries(headers);
  parts.push(u32(entries.length));
  for (const [name, values] of entries) {
    if (name !== name.toLowerCase()) throw new RangeError(`SPDY header names are lowercase: "${name}"`);
    const n = Buffer.from(name, 'utf8');
    const v = Buffer.from(values.join('\0'), 'utf8');
    parts.push(u32(n.length), n, u32(v.length), v);
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(block: Buffer): SpdyHeaders {
  let at = 0;
  const u32 = (what: string): number => {
    if (at + 4 > block.length) throw new SpdyProtocolError(`header block ends inside ${what}`);
    const n = block.readUInt32BE(at);
    at += 4;
    return n;
  };
  const bytes = (n: number, what: string): string => {
    if (at + n > block.length) throw new SpdyProtocolError(`header block ends inside ${what}`);
    const s = block.toString('utf8', at, at + n);
    at += n;
    return s;
  };
  const headers: SpdyHeaders = {};
  const count = u32('the header count');
  for (let i = 0; i < count; i++) {
    const name = bytes(u32('a name length'), 'a name');
    if (name === '') throw new SpdyProtocolError('header block has an empty header name');
    if (name !== name.toLowerCase()) throw new SpdyProtocolError(`header name "${name}" is not lowercase`);
    if (headers[name]) throw new SpdyProtocolError(`header "${name}" appears twice`);
    headers[name] = bytes(u32('a value length'), 'a value').split('\0');
  }
  if (at !== block.length) throw new SpdyProtocolError(`header block has ${block.length - at} bytes after its last header`);
  return headers;
}

/** Adler-32 (RFC 1950), which a zlib stream's header uses to name its dictionary. */
export function adler32(data: Buffer): number {
  let a = 1;
  let b = 0;
  for (const byte of data) {
    a = (a + byte) % 65521;
    b = (b + a) % 65521;
  }
  return ((b << 16) | a) >>> 0;
}

/** Compresses the blocks one direction of a session sends. */
export class HeaderDeflater {
  private started = false;

  deflate(headers: SpdyHeaders): Buffer {
    const raw = zlib.deflateRawSync(encodeHeaderBlock(headers), { level: 0, finishFlush: zlib.constants.Z_SYNC_FLUSH });
    if (this.started) return raw;
    this.started = true;
    // The zlib stream header: deflate with a 32K window (0x78), FDICT set and no level hint
    // (0x20: 0x7820 is a multiple of 31 as RFC 1950 requires), then the dictionary's Adler-32.
    const head = Buffer.alloc(6);
    head[0] = 0x78;
    head[1] = 0x20;
    head.writeUInt32BE(adler32(SPDY_DICTIONARY), 2);
    return Buffer.concat([head, raw]);
  }
}

/** Decompresses the blocks the peer sends, in the order they arrive; one call at a time. */
export class HeaderInflater {
  private readonly zlib = zlib.createInflate({ dictionary: SPDY_DICTIONARY });
  private output: Buffer[] = [];
  private failure: Error | undefined;
  /** The caller waiting on the block in flight: a zlib error ends the stream without flushing. */
  private waiting: ((err: Error) => void) | undefined;

  constructor() {
    this.zlib.on('data', (chunk: Buffer) => this.output.push(chunk));
    this.zlib.on('error', (err) => {
      this.failure = err;
      this.waiting?.(this.broken());
    });
  }

  inflate(block: Buffer): Promise<SpdyHeaders> {
    return new Promise((resolve, reject) => {
      if (this.failure) return reject(this.broken());
      this.waiting = reject;
      this.zlib.write(block);
      this.zlib.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        this.waiting = undefined;
        const raw = Buffer.concat(this.output);
        this.output = [];
        if (this.failure) return reject(this.broken());
        if (raw.length > MAX_HEADER_BLOCK) return reject(new SpdyProtocolError(`header block of ${raw.length} bytes exceeds ${MAX_HEADER_BLOCK}`));
        try {
          resolve(decodeHeaderBlock(raw));
        } catch (err) {
          reject(err);
        }
      });
    });
  }

  private broken(): SpdyProtocolError {
    return new SpdyProtocolError(`header block does not decompress: ${this.failure?.message}`);
  }

  close(): void {
    this.zlib.close();
  }
}
