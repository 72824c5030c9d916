// Protobuf bodies: the delete options `kubectl drain` sends, and the objects kubectl's create
// commands send (bodies captured from kubectl 1.32), decode to the JSON they stand for; any other
// object sent as protobuf is refused with a 415 Status that says to send JSON, never a JSON parse
// error.

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

// kubectl create namespace foo
const CREATE_NAMESPACE = '6b3873000a0f0a02763112094e616d657370616365121b0a130a03666f6f12001a0022002a0032003800420012001a020a001a002200';
// kubectl create deployment web --image=pause --replicas=2 --port=8080
const CREATE_DEPLOYMENT =
  '6b3873000a150a07617070732f7631120a4465706c6f796d656e7412b9010a1f0a0377656212001a0022002a003200380042005a0a0a0361707012037765621287010802120c0a0a0a0361707012037765621a6d0a1c0a0012001a0022002a003200380042005a0a0a036170701203776562124d122f0a057061757365120570617573652a00320b0a00100018903f22002a0042006a007200800100880100900100a201001a00320042004a0052005800600068008201008a01009a0100c2010022020a00280038001a0c0800100018002000280038001a002200';
// kubectl create service clusterip s1 --tcp=80:8080
const CREATE_SERVICE =
  '6b3873000a0d0a02763112075365727669636512660a1d0a02733112001a0022002a003200380042005a090a036170701202733112410a1b0a0738302d38303830120354435018502207080010903f1a00280012090a03617070120273311a002209436c757374657249503a00420052005a00600068001a020a001a002200';

// kubectl create job pi --image=busybox -- sh -c 'echo done'
const CREATE_JOB =
  '6b3873000a0f0a0862617463682f763112034a6f62128d010a120a02706912001a0022002a00320038004200126d326b0a100a0012001a0022002a00320038004200125712340a02706912' +
  '0762757379626f781a0273681a022d631a096563686f20646f6e652a0042006a007200800100880100900100a201001a054e65766572320042004a0052005800600068008201008a01009a' +
  '0100c201001a082000280030003a001a002200';
// kubectl create job hello-now --from=cronjob/hello (a CronJob with uid abc-123 and job template label team=a)
const CREATE_JOB_FROM_CRONJOB =
  '6b3873000a0f0a0862617463682f763112034a6f6212f5010a780a0968656c6c6f2d6e6f7712001a0022002a003200380042005a090a047465616d120161622b0a2163726f6e6a6f622e6b' +
  '756265726e657465732e696f2f696e7374616e746961746512066d616e75616c6a250a0743726f6e4a6f621a0568656c6c6f22076162632d3132332a0862617463682f76313001126f326d' +
  '0a100a0012001a0022002a00320038004200125912320a0568656c6c6f120762757379626f781a0273681a022d631a04646174652a0042006a007200800100880100900100a201001a094f' +
  '6e4661696c757265320042004a0052005800600068008201008a01009a0100c201001a082000280030003a001a002200';
// kubectl create cronjob hello --image=busybox --schedule='*/1 * * * *' -- date
const CREATE_CRONJOB =
  '6b3873000a130a0862617463682f7631120743726f6e4a6f6212ae010a150a0568656c6c6f12001a0022002a003200380042001292010a0b2a2f31202a202a202a202a1a002a80010a150a' +
  '0568656c6c6f12001a0022002a00320038004200126732650a100a0012001a0022002a003200380042001251122a0a0568656c6c6f120762757379626f781a04646174652a0042006a0072' +
  '00800100880100900100a201001a094f6e4661696c757265320042004a0052005800600068008201008a01009a0100c201001a001a002200';

describe('controlplane/api/protobuf', function () {
  it('decodes what kubectl create job (also --from=cronjob) and create cronjob send', function () {
    const containers = (name: string, command: string[]) => [{ name, image: 'busybox', command }];
    assert.deepEqual(decodeProtobufBody(Buffer.from(CREATE_JOB, 'hex')), {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'pi' },
      spec: { template: { metadata: {}, spec: { containers: containers('pi', ['sh', '-c', 'echo done']), restartPolicy: 'Never' } } },
    });
    assert.deepEqual(decodeProtobufBody(Buffer.from(CREATE_JOB_FROM_CRONJOB, 'hex')), {
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: {
        name: 'hello-now',
        labels: { team: 'a' },
        annotations: { 'cronjob.kubernetes.io/instantiate': 'manual' },
        ownerReferences: [{ kind: 'CronJob', name: 'hello', uid: 'abc-123', apiVersion: 'batch/v1', controller: true }],
      },
      spec: { template: { metadata: {}, spec: { containers: containers('hello', ['sh', '-c', 'date']), restartPolicy: 'OnFailure' } } },
    });
    assert.deepEqual(decodeProtobufBody(Buffer.from(CREATE_CRONJOB, 'hex')), {
      apiVersion: 'batch/v1',
      kind: 'CronJob',
      metadata: { name: 'hello' },
      spec: {
        schedule: '*/1 * * * *',
        jobTemplate: {
          metadata: { name: 'hello' },
          spec: { template: { metadata: {}, spec: { containers: containers('hello', ['date']), restartPolicy: 'OnFailure' } } },
        },
      },
    });
  });

  it('decodes what kubectl create sends for namespaces, deployments and services', function () {
    assert.deepEqual(decodeProtobufBody(Buffer.from(CREATE_NAMESPACE, 'hex')), { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'foo' }, spec: {} });
    assert.deepEqual(decodeProtobufBody(Buffer.from(CREATE_DEPLOYMENT, 'hex')), {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', labels: { app: 'web' } },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'pause', image: 'pause', ports: [{ containerPort: 8080 }] }] } },
        strategy: {},
      },
    });
    assert.deepEqual(decodeProtobufBody(Buffer.from(CREATE_SERVICE, 'hex')), {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 's1', labels: { app: 's1' } },
      spec: { ports: [{ name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 }], selector: { app: 's1' }, type: 'ClusterIP' },
    });
  });

  it('refuses a field it does not read rather than drop it', function () {
    // A Namespace whose status (field 3) carries a phase.
    const ns = envelope('v1', 'Namespace', Buffer.concat([field(1, field(1, 'foo')), field(3, field(1, 'Terminating'))]));
    assert.throws(
      () => decodeProtobufBody(ns),
      (e: ApiError) => e.code === 415 && /field 3/.test(e.message),
    );
  });

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
      () => decodeProtobufBody(envelope('apps/v1', 'StatefulSet', field(1, Buffer.alloc(0)))),
      (e: ApiError) => e.code === 415 && /StatefulSet as JSON or YAML/.test(e.message),
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

    it('evicts a pod with a protobuf or JSON Eviction, as kubectl drain does where evictions are served', async () => {
      await api.call<Pod>('POST', '/api/v1/namespaces/default/pods', pod('web-1'));
      await api.call<Pod>('POST', '/api/v1/namespaces/default/pods', pod('web-2'));
      const ev = envelope('policy/v1', 'Eviction', Buffer.concat([field(1, Buffer.concat([field(1, 'web-1'), field(3, 'default')])), field(2, field(1, 0))]));
      const res = await send('POST', '/api/v1/namespaces/default/pods/web-1/eviction', ev);
      assert.equal(res.status, 201, res.text);
      assert.equal(res.body.status, 'Success');
      assert.equal((await api.call('GET', '/api/v1/namespaces/default/pods/web-1')).status, 404);
      const json = await api.call('POST', '/api/v1/namespaces/default/pods/web-2/eviction', {
        apiVersion: 'policy/v1',
        kind: 'Eviction',
        metadata: { name: 'web-2', namespace: 'default' },
      });
      assert.equal(json.status, 201, json.text);
      isStatus(await api.call('POST', '/api/v1/namespaces/default/pods/web-3/eviction', { kind: 'Eviction', metadata: { name: 'web-3' } }), 404, 'NotFound');
      isStatus(await api.call('POST', '/api/v1/namespaces/default/pods/web-3/eviction', { kind: 'Eviction', metadata: { name: 'other' } }), 400, 'BadRequest');
    });

    it('creates a namespace from protobuf, as kubectl create namespace does', async () => {
      const res = await send('POST', '/api/v1/namespaces', Buffer.from(CREATE_NAMESPACE, 'hex'));
      assert.equal(res.status, 201, res.text);
      assert.equal(res.body.metadata.name, 'foo');
    });

    it('answers a protobuf object it cannot read with a 415 Status', async () => {
      const res = await send('POST', '/api/v1/namespaces/default/pods', envelope('v1', 'Pod', field(1, Buffer.alloc(0))));
      isStatus(res as never, 415, 'UnsupportedMediaType', /send the body as application\/json/);
    });
  });
});
