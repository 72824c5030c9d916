// Protobuf bodies: the delete options `kubectl drain` sends decode to the JSON they stand for;
// any other object sent as protobuf is refused with a 415 Status that says to send JSON, never a
// JSON parse error.

import assert from 'node:assert/strict';
import { type ApiError, decodeProtobufBody } from '@kip/controlplane';
import type { Pod } from '@kip/shared';
import { pod } from './fixtures.js';
import { isStatus, RestServer } from './rest-harness.js';

/** A protobuf field: a varint (number) or length-delimited bytes (string or Buffer). */
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

/** What client-go writes: "k8s\0", then runtime.Unknown { typeMeta, raw }. */
function envelope(apiVersion: string, kind: string, raw: Buffer): Buffer {
  return Buffer.concat([Buffer.from('k8s\0'), field(1, Buffer.concat([field(1, apiVersion), field(2, kind)])), field(2, raw)]);
}

describe('controlplane/api/protobuf', function () {
  it('decodes DeleteOptions and Eviction', function () {
    const opts = Buffer.concat([field(1, 5), field(2, Buffer.concat([field(1, 'uid-1')])), field(4, 'Foreground'), field(5, 'All')]);
    assert.deepEqual(decodeProtobufBody(envelope('v1', 'DeleteOptions', opts)), {
      kind: 'DeleteOptions',
      apiVersion: 'v1',
      gracePeriodSeconds: 5,
      preconditions: { uid: 'uid-1', resourceVersion: undefined },
      propagationPolicy: 'Foreground',
      dryRun: ['All'],
    });
    const ev = decodeProtobufBody(
      envelope('policy/v1', 'Eviction', Buffer.concat([field(1, Buffer.concat([field(1, 'web-1'), field(3, 'default')])), field(2, field(1, 0))])),
    );
    assert.deepEqual(ev, {
      kind: 'Eviction',
      apiVersion: 'policy/v1',
      metadata: { name: 'web-1', namespace: 'default' },
      deleteOptions: { kind: 'DeleteOptions', apiVersion: 'v1', gracePeriodSeconds: 0 },
    });
  });

  it('refuses other kinds with a 415, and garbage with a 400', function () {
    assert.throws(
      () => decodeProtobufBody(envelope('apps/v1', 'Deployment', field(1, Buffer.alloc(0)))),
      (e: ApiError) => e.code === 415 && /Deployment as JSON or YAML/.test(e.message),
    );
    assert.throws(
      () => decodeProtobufBody(Buffer.from('{"kind":"Pod"}')),
      (e: ApiError) => e.code === 400 && /not valid Kubernetes protobuf/.test(e.message),
    );
    assert.throws(
      () => decodeProtobufBody(Buffer.concat([Buffer.from('k8s\0'), Buffer.from([0x0a, 0x7f])])),
      (e: ApiError) => e.code === 400,
    );
  });

  describe('REST', function () {
    this.timeout(10_000);
    let api: RestServer;
    beforeEach(async () => {
      api = await new RestServer().start();
    });
    afterEach(async () => {
      await api.stop();
    });

    async function send(method: string, path: string, body: Buffer) {
      const res = await fetch(api.url + path, { method, body, headers: { 'Content-Type': 'application/vnd.kubernetes.protobuf' } });
      const text = await res.text();
      return { status: res.status, body: JSON.parse(text), text, headers: res.headers };
    }

    it('deletes with protobuf DeleteOptions, as kubectl drain does', async () => {
      await api.call<Pod>('POST', '/api/v1/namespaces/default/pods', pod('web-1'));
      const res = await send('DELETE', '/api/v1/namespaces/default/pods/web-1', envelope('v1', 'DeleteOptions', field(1, 0)));
      assert.equal(res.status, 200, res.text);
      assert.equal((await api.call('GET', '/api/v1/namespaces/default/pods/web-1')).status, 404);
    });

    it('answers a protobuf object with a 415 Status', async () => {
      const res = await send('POST', '/api/v1/namespaces/default/pods', envelope('v1', 'Pod', field(1, Buffer.alloc(0))));
      isStatus(res as never, 415, 'UnsupportedMediaType', /send the body as application\/json/);
    });
  });
});
