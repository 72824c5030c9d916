// The SPDY/3.1 codec kubectl's port-forward streams ride on: frames cut from a byte stream however
// it is split, header blocks compressed as one zlib stream per direction with the SPDY dictionary,
// and the server session fed bytes through an in-memory transport.

import assert from 'node:assert/strict';
import { Duplex } from 'node:stream';
import zlib from 'node:zlib';
import { spdy } from '@kip/controlplane';

const { FrameReader, encodeFrame, HeaderDeflater, HeaderInflater, SpdySession, SpdyProtocolError } = spdy;
type Frame = spdy.Frame;

/** A compressor as a SPDY client has it: real deflate with back references, sync-flushed per block. */
class ClientDeflater {
  private readonly z = zlib.createDeflate({ dictionary: spdy.SPDY_DICTIONARY });
  private out: Buffer[] = [];
  constructor() {
    this.z.on('data', (c: Buffer) => this.out.push(c));
  }
  deflate(headers: spdy.SpdyHeaders): Promise<Buffer> {
    return new Promise((resolve) => {
      this.z.write(spdy.encodeHeaderBlock(headers));
      this.z.flush(zlib.constants.Z_SYNC_FLUSH, () => {
        resolve(Buffer.concat(this.out));
        this.out = [];
      });
    });
  }
}

describe('SPDY framing', () => {
  const frames: Frame[] = [
    { type: 'data', streamId: 3, flags: spdy.Flag.Fin, data: Buffer.from('hello') },
    { type: 'data', streamId: 5, flags: 0, data: Buffer.alloc(0) },
    { type: 'synStream', streamId: 1, associatedTo: 0, priority: 2, flags: spdy.Flag.Fin, headerBlock: Buffer.from([1, 2, 3]) },
    { type: 'synReply', streamId: 1, flags: 0, headerBlock: Buffer.from([9]) },
    { type: 'headers', streamId: 7, flags: spdy.Flag.Fin, headerBlock: Buffer.from([4, 5]) },
    { type: 'rstStream', streamId: 9, status: spdy.RstStatus.Cancel },
    {
      type: 'settings',
      flags: 0,
      entries: [
        { flags: 1, id: 7, value: 65536 },
        { flags: 0, id: 4, value: 100 },
      ],
    },
    { type: 'ping', id: 0xffffffff },
    { type: 'goAway', lastGoodStreamId: 11, status: spdy.GoAwayStatus.ProtocolError },
    { type: 'windowUpdate', streamId: 3, delta: 0x7fffffff },
  ];

  for (const frame of frames) {
    it(`reads back a ${frame.type} frame it wrote`, () => {
      assert.deepEqual(new FrameReader().push(encodeFrame(frame)), [frame]);
    });
  }

  it('writes the layout of the draft: control bit, version 3, type, flags, 24-bit length', () => {
    const ping = encodeFrame({ type: 'ping', id: 1 });
    assert.deepEqual([...ping], [0x80, 0x03, 0x00, 0x06, 0x00, 0x00, 0x00, 0x04, 0, 0, 0, 1]);
    const data = encodeFrame({ type: 'data', streamId: 1, flags: spdy.Flag.Fin, data: Buffer.from('ab') });
    assert.deepEqual([...data], [0, 0, 0, 1, 0x01, 0, 0, 2, 0x61, 0x62]);
  });

  it('cuts frames out of a stream split at every byte, and several frames in one chunk', () => {
    const bytes = Buffer.concat(frames.map(encodeFrame));
    const byByte = new FrameReader();
    const got: Frame[] = [];
    for (const b of bytes) got.push(...byByte.push(Buffer.from([b])));
    assert.deepEqual(got, frames);
    assert.deepEqual(new FrameReader().push(bytes), frames);
  });

  it('refuses another SPDY version and a control frame shorter than its fixed fields', () => {
    const v2 = encodeFrame({ type: 'ping', id: 1 });
    v2.writeUInt16BE(0x8002, 0);
    assert.throws(
      () => new FrameReader().push(v2),
      (e: Error) => e instanceof SpdyProtocolError && /version 2/.test(e.message),
    );
    const short = Buffer.from([0x80, 0x03, 0x00, 0x03, 0, 0, 0, 2, 0, 1]);
    assert.throws(() => new FrameReader().push(short), /RST_STREAM frame of 2 bytes/);
  });

  it('passes over control frame types it does not know', () => {
    const unknown = Buffer.from([0x80, 0x03, 0x00, 0x0a, 0, 0, 0, 1, 7]);
    assert.deepEqual(new FrameReader().push(unknown), [{ type: 'unknown', frameType: 10 }]);
  });
});

describe('SPDY header blocks', () => {
  it('uses the 1423-byte dictionary moby/spdystream (and so kubectl) uses', () => {
    assert.equal(spdy.SPDY_DICTIONARY.length, 1423);
    assert.equal(spdy.adler32(spdy.SPDY_DICTIONARY), 0xe3c6a7c2);
    assert.equal(spdy.adler32(Buffer.from('Wikipedia')), 0x11e60398);
  });

  it('encodes and decodes names and NUL-separated values', () => {
    const headers = { streamtype: ['data'], port: ['8080'], requestid: ['0'], multi: ['a', 'b'] };
    assert.deepEqual(spdy.decodeHeaderBlock(spdy.encodeHeaderBlock(headers)), headers);
  });

  it('says what is wrong with a malformed block', () => {
    const ok = spdy.encodeHeaderBlock({ port: ['80'] });
    assert.throws(() => spdy.decodeHeaderBlock(ok.subarray(0, ok.length - 1)), /ends inside a value/);
    assert.throws(() => spdy.decodeHeaderBlock(Buffer.concat([ok, Buffer.from([0])])), /1 bytes after its last header/);
    const upper = Buffer.from(ok);
    upper.write('P', 8);
    assert.throws(() => spdy.decodeHeaderBlock(upper), /"Port" is not lowercase/);
    assert.throws(() => spdy.encodeHeaderBlock({ Port: ['80'] }), /lowercase/);
  });

  it("inflates a client's blocks, which refer back to earlier ones, in order", async () => {
    const client = new ClientDeflater();
    const inflater = new HeaderInflater();
    const blocks = [
      { streamtype: ['error'], port: ['8080'], requestid: ['0'] },
      { streamtype: ['data'], port: ['8080'], requestid: ['0'] },
      { streamtype: ['error'], port: ['8080'], requestid: ['1'] },
    ];
    for (const headers of blocks) assert.deepEqual(await inflater.inflate(await client.deflate(headers)), headers);
    inflater.close();
  });

  it('writes blocks a zlib inflater primed with the dictionary reads as one stream', async () => {
    const deflater = new HeaderDeflater();
    const first = deflater.deflate({});
    const second = deflater.deflate({ status: ['200'] });
    // A zlib header naming the dictionary by its Adler-32.
    assert.equal(first[0], 0x78);
    assert.equal(first[1]! & 0x20, 0x20);
    assert.equal(first.readUInt32BE(2), spdy.adler32(spdy.SPDY_DICTIONARY));
    const inflater = new HeaderInflater();
    assert.deepEqual(await inflater.inflate(first), {});
    assert.deepEqual(await inflater.inflate(second), { status: ['200'] });
    inflater.close();
  });

  it('refuses a block that is not zlib data', async () => {
    const inflater = new HeaderInflater();
    await assert.rejects(
      inflater.inflate(Buffer.from('not zlib at all')),
      (e: Error) => e instanceof SpdyProtocolError && /does not decompress/.test(e.message),
    );
    inflater.close();
  });
});

/** The client's end of an in-memory transport: what the session wrote, and a way to send it bytes. */
class Wire extends Duplex {
  readonly reader = new FrameReader();
  readonly received: Frame[] = [];
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.received.push(...this.reader.push(chunk));
    done();
  }
  override _read(): void {}
  send(frame: Frame): void {
    this.push(encodeFrame(frame));
  }
  async until<T extends Frame['type']>(type: T, pred: (f: Extract<Frame, { type: T }>) => boolean = () => true): Promise<Extract<Frame, { type: T }>> {
    const deadline = Date.now() + 5_000;
    for (;;) {
      const f = this.received.find((x): x is Extract<Frame, { type: T }> => x.type === type && pred(x as Extract<Frame, { type: T }>));
      if (f) return f;
      if (Date.now() > deadline) throw new Error(`no ${type} frame; got ${this.received.map((x) => x.type).join(', ')}`);
      await new Promise((r) => setImmediate(r));
    }
  }
}

describe('SPDY server session', () => {
  async function open(wire: Wire, client: ClientDeflater, streamId: number, headers: spdy.SpdyHeaders, flags = 0): Promise<void> {
    wire.send({ type: 'synStream', streamId, associatedTo: 0, priority: 0, flags, headerBlock: await client.deflate(headers) });
  }

  it('accepts streams with SYN_REPLY and carries DATA both ways, FIN for FIN', async () => {
    const wire = new Wire();
    const client = new ClientDeflater();
    const streams: spdy.SpdyStream[] = [];
    const session = new SpdySession(wire, { onStream: (s) => streams.push(s) });
    await open(wire, client, 1, { streamtype: ['data'], port: ['80'] });
    const reply = await wire.until('synReply');
    assert.equal(reply.streamId, 1);
    assert.deepEqual(await new HeaderInflater().inflate(reply.headerBlock), {});
    const stream = streams[0]!;
    assert.equal(stream.header('port'), '80');
    const read: Buffer[] = [];
    stream.on('data', (d: Buffer) => read.push(d));
    const ended = new Promise((r) => stream.once('end', r));
    wire.send({ type: 'data', streamId: 1, flags: 0, data: Buffer.from('ping ') });
    wire.send({ type: 'data', streamId: 1, flags: spdy.Flag.Fin, data: Buffer.from('pong') });
    await ended;
    assert.equal(Buffer.concat(read).toString(), 'ping pong');
    stream.end('answer');
    const data = await wire.until('data', (f) => f.streamId === 1 && f.data.length > 0);
    assert.equal(data.data.toString(), 'answer');
    await wire.until('data', (f) => f.streamId === 1 && (f.flags & spdy.Flag.Fin) !== 0);
    session.close();
  });

  it('answers PINGs, refuses what onStream refuses, and ends a stream the client resets', async () => {
    const wire = new Wire();
    const client = new ClientDeflater();
    const streams: spdy.SpdyStream[] = [];
    const session = new SpdySession(wire, {
      onStream: (s) => {
        if (s.header('streamtype') === 'bogus') throw new Error('invalid stream type');
        streams.push(s);
      },
    });
    wire.send({ type: 'ping', id: 1 });
    assert.equal((await wire.until('ping')).id, 1);
    await open(wire, client, 1, { streamtype: ['bogus'] });
    assert.equal((await wire.until('rstStream', (f) => f.streamId === 1)).status, spdy.RstStatus.RefusedStream);
    await open(wire, client, 3, { streamtype: ['data'] });
    await wire.until('synReply', (f) => f.streamId === 3);
    const closed = new Promise((r) => streams[0]!.once('close', r));
    wire.send({ type: 'rstStream', streamId: 3, status: spdy.RstStatus.Cancel });
    await closed;
    // A reset stream is not reset back.
    assert.equal(wire.received.filter((f) => f.type === 'rstStream' && f.streamId === 3).length, 0);
    session.close();
  });

  it('goes away on a protocol error and destroys its streams', async () => {
    const wire = new Wire();
    const client = new ClientDeflater();
    const streams: spdy.SpdyStream[] = [];
    let ended: Error | undefined;
    new SpdySession(wire, { onStream: (s) => streams.push(s), onClose: (err) => (ended = err) });
    await open(wire, client, 1, { streamtype: ['data'] });
    await wire.until('synReply');
    wire.push(Buffer.from([0x80, 0x02, 0x00, 0x06, 0, 0, 0, 4, 0, 0, 0, 1]));
    const goAway = await wire.until('goAway');
    assert.equal(goAway.status, spdy.GoAwayStatus.ProtocolError);
    assert.equal(goAway.lastGoodStreamId, 1);
    assert.match(ended!.message, /version 2/);
    assert.equal(streams[0]!.destroyed, true);
  });
});
