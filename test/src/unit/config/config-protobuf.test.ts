// `kubectl create configmap` and `kubectl create secret` send protobuf: their bodies decode to the
// JSON objects they stand for, a Secret's bytes as base64.

import assert from 'node:assert/strict';
import { decodeProtobufBody } from '@kip/controlplane';

function field(no: number, value: number | string | Buffer): Buffer {
  const varint = (n: number) => {
    const out: number[] = [];
    do {
      out.push((n & 0x7f) | (n > 0x7f ? 0x80 : 0));
      n = Math.floor(n / 128);
    } while (n > 0);
    return Buffer.from(out);
  };
  if (typeof value === 'number') return Buffer.concat([varint(no << 3), varint(value)]);
  const bytes = typeof value === 'string' ? Buffer.from(value) : value;
  return Buffer.concat([varint((no << 3) | 2), varint(bytes.length), bytes]);
}

const envelope = (kind: string, raw: Buffer) => Buffer.concat([Buffer.from('k8s\0'), field(1, Buffer.concat([field(1, 'v1'), field(2, kind)])), field(2, raw)]);
const entry = (k: string, v: string | Buffer) => Buffer.concat([field(1, k), field(2, v)]);
const meta = field(1, Buffer.concat([field(1, 'app'), field(3, '')]));

describe('config: protobuf bodies of kubectl create configmap and secret', () => {
  it('decodes a ConfigMap with data, binaryData and immutable', () => {
    const raw = Buffer.concat([meta, field(2, entry('mode', 'prod')), field(3, entry('logo', Buffer.from([0, 255, 1]))), field(4, 1)]);
    assert.deepEqual(decodeProtobufBody(envelope('ConfigMap', raw)), {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: { name: 'app' },
      data: { mode: 'prod' },
      binaryData: { logo: Buffer.from([0, 255, 1]).toString('base64') },
      immutable: true,
    });
  });

  it('decodes a Secret: its data bytes as base64, its type', () => {
    const raw = Buffer.concat([meta, field(2, entry('password', 's3cret')), field(3, 'Opaque'), field(5, 0)]);
    assert.deepEqual(decodeProtobufBody(envelope('Secret', raw)), {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'app' },
      data: { password: Buffer.from('s3cret').toString('base64') },
      type: 'Opaque',
    });
  });
});
