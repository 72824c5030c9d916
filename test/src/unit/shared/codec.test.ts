import assert from 'node:assert/strict';
import { Packr } from 'msgpackr';
import {
  decode,
  decodeFromAgent,
  decodeFromControlPlane,
  encode,
  MAX_FRAME_BYTES,
  MessageType,
  ProtocolError,
  seededRandom,
  type Message,
  type MessageTypeName,
  type ProtocolErrorCode,
} from '@kip/shared';
import { samples } from './wire-samples.js';

const AGENT: MessageTypeName[] = ['hello', 'heartbeat', 'podStatus', 'podTerminated', 'events', 'logData', 'logEnd', 'execOutput', 'execExit'];
const CONTROL_PLANE: MessageTypeName[] = [
  'welcome',
  'refuse',
  'podSync',
  'podUpsert',
  'podRemove',
  'logRequest',
  'logCancel',
  'execStart',
  'execInput',
  'execCancel',
  'routes',
  'faults',
  'nodeAction',
  'configObjects',
];

/** A packer that can write anything, as a broken or hostile peer could. */
const raw = new Packr({ useRecords: false });

function rejects(frame: Uint8Array, code: ProtocolErrorCode, message: RegExp, dec: (f: Uint8Array) => unknown = decode): void {
  assert.throws(
    () => dec(frame),
    (err: unknown) => {
      assert.ok(err instanceof ProtocolError, `a ProtocolError, got ${String(err)}`);
      assert.equal(err.code, code, err.message);
      assert.equal(err.name, 'ProtocolError');
      assert.match(err.message, message);
      return true;
    },
  );
}

describe('shared/wire/codec', () => {
  it('has a sample of every message type, and every type is one direction or the other', () => {
    assert.deepEqual(Object.keys(samples()).sort(), Object.values(MessageType).sort());
    assert.deepEqual([...AGENT, ...CONTROL_PLANE].sort(), Object.values(MessageType).sort());
  });

  describe('round trips', () => {
    for (const [type, msg] of Object.entries(samples())) {
      it(`${type} decodes to what was encoded`, () => {
        const frame = encode(msg);
        assert.ok(frame instanceof Uint8Array);
        assert.deepEqual(decode(frame), msg);
      });
    }

    it('carries an attach, the one execStart without a command', () => {
      const attach = {
        type: 'execStart',
        id: 5,
        namespace: 'default',
        pod: 'web-1',
        container: 'web',
        command: [],
        stdin: true,
        tty: false,
        attach: true,
      } as const;
      assert.deepEqual(decode(encode({ ...attach, command: [] })), attach);
    });

    it('keeps binary log data binary', () => {
      const data = Buffer.from([0, 1, 2, 255, 10]);
      const m = decode(encode({ type: 'logData', id: 1, data }));
      assert.equal(m.type, 'logData');
      assert.ok(m.type === 'logData' && m.data instanceof Uint8Array);
      assert.deepEqual([...(m as { data: Uint8Array }).data], [0, 1, 2, 255, 10]);
    });

    it('round trips a heartbeat without usage, and optional fields left out', () => {
      for (const msg of [
        { type: 'heartbeat', time: 5 },
        { type: 'logEnd', id: 2 },
        { type: 'routes', full: false },
        { type: 'nodeAction', action: 'kill', chaos: 'default/k' },
      ] as Message[])
        assert.deepEqual(decode(encode(msg)), msg);
    });

    it('decodes each frame on its own: a record structure in one frame does not leak into the next', () => {
      const withRecords = new Packr({ useRecords: true });
      assert.deepEqual(decode(withRecords.pack({ type: 'heartbeat', time: 5 })), { type: 'heartbeat', time: 5 });
      // 0x40 is a record reference only where a structure was defined; alone it is the number 64.
      rejects(Buffer.from([0x40, 0xa9, ...Buffer.from('heartbeat'), 0x07]), 'BadFrame', /not valid msgpack/);
    });
  });

  describe('direction', () => {
    for (const type of AGENT) {
      it(`an agent may send ${type}; the control plane may not`, () => {
        const frame = encode(samples()[type]);
        assert.equal(decodeFromAgent(frame).type, type);
        rejects(frame, 'UnexpectedMessage', new RegExp(`^the control plane may not send ${type}$`), decodeFromControlPlane);
      });
    }
    for (const type of CONTROL_PLANE) {
      it(`the control plane may send ${type}; an agent may not`, () => {
        const frame = encode(samples()[type]);
        assert.equal(decodeFromControlPlane(frame).type, type);
        rejects(frame, 'UnexpectedMessage', new RegExp(`^an agent may not send ${type}$`), decodeFromAgent);
      });
    }
  });

  describe('frames that are not messages', () => {
    const cases: { name: string; frame: () => Uint8Array; code: ProtocolErrorCode; message: RegExp }[] = [
      { name: 'an empty frame', frame: () => new Uint8Array(0), code: 'BadFrame', message: /^frame is not valid msgpack: / },
      { name: 'a truncated array', frame: () => Buffer.from([0x92, 0x01]), code: 'BadFrame', message: /^frame is not valid msgpack: / },
      { name: 'a truncated string', frame: () => Buffer.from([0xa5, 0x61]), code: 'BadFrame', message: /^frame is not valid msgpack: / },
      {
        name: 'a message followed by more bytes',
        frame: () => Buffer.concat([encode({ type: 'heartbeat', time: 1 }), Buffer.from([0x01])]),
        code: 'BadFrame',
        message: /^frame is not valid msgpack: /,
      },
      { name: 'the never-used byte 0xc1', frame: () => Buffer.from([0xc1]), code: 'BadFrame', message: /not/ },
      { name: 'text, not msgpack', frame: () => Buffer.from('{"type":"heartbeat","time":1}'), code: 'BadFrame', message: /^frame is not/ },
      { name: 'a list', frame: () => raw.pack([{ type: 'heartbeat', time: 1 }]), code: 'BadFrame', message: /^frame is not a message object$/ },
      { name: 'a string', frame: () => raw.pack('heartbeat'), code: 'BadFrame', message: /^frame is not a message object$/ },
      { name: 'a number', frame: () => raw.pack(42), code: 'BadFrame', message: /^frame is not a message object$/ },
      { name: 'nil', frame: () => raw.pack(null), code: 'BadFrame', message: /^frame is not a message object$/ },
      { name: 'binary', frame: () => raw.pack(Buffer.from('abc')), code: 'BadFrame', message: /^frame is not a message object$/ },
      { name: 'a timestamp extension', frame: () => raw.pack(new Date(0)), code: 'BadFrame', message: /^frame is not a message object$/ },
      { name: 'a map without a type', frame: () => raw.pack({ time: 1 }), code: 'UnknownMessage', message: /^unknown message type undefined$/ },
      { name: 'an unknown type', frame: () => raw.pack({ type: 'reboot' }), code: 'UnknownMessage', message: /^unknown message type "reboot"$/ },
      { name: 'a type that is not a string', frame: () => raw.pack({ type: 7 }), code: 'UnknownMessage', message: /^unknown message type 7$/ },
      { name: 'an inherited name as type', frame: () => raw.pack({ type: 'constructor' }), code: 'UnknownMessage', message: /"constructor"/ },
    ];
    for (const c of cases) it(`${c.name} is ${c.code}`, () => rejects(c.frame(), c.code, c.message));

    it(`a frame over ${MAX_FRAME_BYTES} bytes is FrameTooLarge, before any decoding`, () => {
      rejects(new Uint8Array(MAX_FRAME_BYTES + 1), 'FrameTooLarge', new RegExp(`^frame of ${MAX_FRAME_BYTES + 1} bytes exceeds ${MAX_FRAME_BYTES}$`));
    });
  });

  describe('messages missing what their type needs are InvalidMessage', () => {
    type Mutate = (m: Record<string, any>) => void;
    const cases: [MessageTypeName, string, Mutate, RegExp][] = [
      ['hello', 'no protocol', (m) => delete m.protocol, /protocol must be a number/],
      ['hello', 'a protocol as text', (m) => (m.protocol = '1'), /protocol must be a number/],
      ['hello', 'no token', (m) => delete m.token, /token must be a string/],
      ['hello', 'no node', (m) => delete m.node, /node must be an object/],
      ['hello', 'an empty node name', (m) => (m.node.name = ''), /node.name must be a non-empty string/],
      ['hello', 'no node capacity', (m) => delete m.node.capacity, /node.capacity must be an object/],
      ['hello', 'no node labels', (m) => delete m.node.labels, /node.labels must be an object/],
      ['hello', 'no node pid', (m) => delete m.node.pid, /node.pid must be a number/],
      ['hello', 'a label that is not a string', (m) => (m.node.labels.zone = 1), /node.labels must be an object of strings/],
      ['hello', 'a label that is an object', (m) => (m.node.labels.zone = { a: 'b' }), /node.labels must be an object of strings/],
      ['hello', 'a version that is not a string', (m) => (m.node.version = { major: 1 }), /node.version must be a string/],
      ['hello', 'a tunnel endpoint that is not a string', (m) => (m.node.tunnelEndpoint = 4000), /node.tunnelEndpoint must be a string/],
      ['hello', 'no pods', (m) => delete m.pods, /pods must be a list/],
      ['hello', 'a pod that is not an object', (m) => (m.pods = ['web-1']), /pods\[0\] must be an object/],
      ['hello', 'a pod without uid', (m) => delete m.pods[0].uid, /pods\[0\]: namespace, name and uid must be strings/],
      ['welcome', 'no nodeName', (m) => delete m.nodeName, /nodeName and podCIDR must be strings/],
      ['welcome', 'no podCIDR', (m) => delete m.podCIDR, /nodeName and podCIDR must be strings/],
      ['welcome', 'no timing', (m) => delete m.timing, /timing must be an object/],
      ['refuse', 'no reason', (m) => delete m.reason, /reason and message must be strings/],
      ['refuse', 'no message', (m) => delete m.message, /reason and message must be strings/],
      ['podSync', 'no pods', (m) => delete m.pods, /pods must be a list/],
      ['podSync', 'a pod without uid', (m) => delete m.pods[0].metadata.uid, /pods\[0\] must be a pod with metadata.name, metadata.uid and spec/],
      ['podSync', 'a pod without spec', (m) => delete m.pods[0].spec, /pods\[0\] must be a pod/],
      ['podUpsert', 'no pod', (m) => delete m.pod, /pod must be a pod with metadata.name/],
      ['podUpsert', 'a pod without name', (m) => delete m.pod.metadata.name, /pod must be a pod with metadata.name/],
      ['podRemove', 'no namespace', (m) => delete m.namespace, /namespace, name and uid must be strings/],
      ['podRemove', 'no name', (m) => delete m.name, /namespace, name and uid must be strings/],
      ['podRemove', 'no uid', (m) => delete m.uid, /namespace, name and uid must be strings/],
      ['heartbeat', 'no time', (m) => delete m.time, /time must be a number/],
      ['heartbeat', 'a usage that is not an object', (m) => (m.usage = 5), /usage must be an object/],
      ['heartbeat', 'a usage without cpu', (m) => delete m.usage.cpu, /usage needs cpu, memory and pods/],
      ['heartbeat', 'a usage without pods', (m) => delete m.usage.pods, /usage needs cpu, memory and pods/],
      ['heartbeat', 'a pod usage that is not an object', (m) => (m.usage.pods = [null]), /usage.pods\[0\] must be an object/],
      ['heartbeat', 'a pod usage without uid', (m) => delete m.usage.pods[0].uid, /usage.pods\[0\]: namespace, name and uid must be strings/],
      ['heartbeat', 'a pod usage without containers', (m) => delete m.usage.pods[0].containers, /usage.pods\[0\].containers must be a list/],
      [
        'heartbeat',
        'a container usage without cpu',
        (m) => delete m.usage.pods[0].containers[0].cpu,
        /usage.pods\[0\].containers\[0\] needs name, cpu and memory/,
      ],
      [
        'heartbeat',
        'a container usage that is a string',
        (m) => (m.usage.pods[0].containers = ['web']),
        /usage.pods\[0\].containers\[0\] needs name, cpu and memory/,
      ],
      ['podStatus', 'no updates', (m) => delete m.updates, /updates must be a list/],
      ['podStatus', 'an update that is not an object', (m) => (m.updates = [1]), /updates\[0\] must be an object/],
      ['podStatus', 'an update without uid', (m) => delete m.updates[0].uid, /updates\[0\]: namespace, name and uid must be strings/],
      ['podStatus', 'an update without status', (m) => delete m.updates[0].status, /updates\[0\].status must be an object/],
      ['podTerminated', 'no uid', (m) => delete m.uid, /namespace, name and uid must be strings/],
      ['events', 'no events', (m) => delete m.events, /events must be a list/],
      ['events', 'an event without reason', (m) => delete m.events[0].reason, /events\[0\] needs involvedObject, reason and message/],
      ['events', 'an event without involvedObject', (m) => delete m.events[0].involvedObject, /events\[0\] needs involvedObject/],
      ['events', 'an event of an unknown type', (m) => (m.events[0].type = 'Info'), /events\[0\].type must be Normal or Warning/],
      ['logRequest', 'no id', (m) => delete m.id, /id must be a number/],
      ['logRequest', 'no container', (m) => delete m.container, /namespace, pod and container must be strings/],
      ['logCancel', 'no id', (m) => delete m.id, /id must be a number/],
      ['logData', 'no id', (m) => delete m.id, /needs a numeric id and binary data/],
      ['logData', 'text instead of bytes', (m) => (m.data = 'hello'), /needs a numeric id and binary data/],
      ['execStart', 'an empty command', (m) => (m.command = []), /command must be a non-empty list of strings/],
      ['execStart', 'no tty flag', (m) => delete m.tty, /stdin and tty must be true or false/],
      ['execStart', 'an attach flag that is text', (m) => (m.attach = 'yes'), /attach must be true or false/],
      ['execInput', 'text instead of bytes', (m) => (m.data = 'hello'), /data must be binary/],
      ['execCancel', 'no id', (m) => delete m.id, /id must be a number/],
      ['execOutput', 'a stream that is not stdout or stderr', (m) => (m.stream = 3), /needs a numeric id, stream 1 or 2 and binary data/],
      ['execExit', 'an exit code that is text', (m) => (m.exitCode = '3'), /exitCode must be a number/],
      ['logEnd', 'an id that is not finite', (m) => (m.id = Number.POSITIVE_INFINITY), /id must be a number/],
      ['routes', 'no full flag', (m) => delete m.full, /full must be true or false/],
      ['routes', 'services that are not a list', (m) => (m.services = {}), /services must be a list/],
      ['routes', 'removeNodes that are not a list', (m) => (m.removeNodes = 'node-9'), /removeNodes must be a list/],
      ['routes', 'a service without clusterIP', (m) => delete m.services[0].clusterIP, /services\[0\] needs namespace, name, clusterIP and ports/],
      ['routes', 'a node route without a name', (m) => delete m.nodes[0].name, /nodes\[0\] needs a name/],
      ['routes', 'a node route without name', (m) => delete m.nodes[0].name, /nodes\[0\] needs a name/],
      ['faults', 'no faults', (m) => delete m.faults, /faults must be a list/],
      ['faults', 'a fault that is not an object', (m) => (m.faults = [null]), /faults\[0\] must be an object/],
      ['faults', 'a fault without chaos', (m) => delete m.faults[0].chaos, /faults\[0\].chaos must be a string/],
      ['faults', 'a fault with a peer and controlPlane', (m) => (m.faults[1].peer = 'node-2'), /faults\[1\] needs a peer node or controlPlane: true, not both/],
      ['faults', 'a fault with neither', (m) => delete m.faults[0].peer, /faults\[0\] needs a peer node or controlPlane: true/],
      ['faults', 'an unknown direction', (m) => (m.faults[0].direction = 'up'), /faults\[0\].direction must be toPeer, fromPeer or both/],
      ['faults', 'an unknown action', (m) => (m.faults[0].action = 'kill'), /faults\[0\].action is not a network action/],
      ['faults', 'no seed', (m) => delete m.faults[0].seed, /faults\[0\].seed must be a number/],
      ['faults', 'a negative latency', (m) => (m.faults[0].latencyMs = -1), /faults\[0\].latencyMs must be a number of at least 0/],
      ['configObjects', 'no full flag', (m) => delete m.full, /full must be true or false/],
      ['configObjects', 'an object of another kind', (m) => (m.objects[0].kind = 'Pod'), /objects\[0\] must be a ConfigMap or Secret/],
      [
        'configObjects',
        'an object without namespace',
        (m) => delete m.objects[0].metadata.namespace,
        /objects\[0\] must be a ConfigMap or Secret with metadata.name/,
      ],
      ['configObjects', 'a removal without name', (m) => delete m.remove[0].name, /remove\[0\] needs kind, namespace and name/],
      ['nodeAction', 'an unknown action', (m) => (m.action = 'reboot'), /action must be kill, pause or restart/],
      ['nodeAction', 'no chaos', (m) => delete m.chaos, /chaos must be a string/],
      ['nodeAction', 'a pause without duration', (m) => delete m.durationMs, /pause needs durationMs/],
      ['nodeAction', 'a negative restart delay', (m) => ((m.action = 'restart'), (m.restartDelayMs = -5)), /restartDelayMs must be a number of at least 0/],
    ];
    for (const [type, what, mutate, message] of cases) {
      it(`${type} with ${what}`, () => {
        const m = structuredClone(samples()[type]) as unknown as Record<string, any>;
        mutate(m);
        rejects(raw.pack(m), 'InvalidMessage', new RegExp(`^invalid ${type} message: ${message.source}`));
      });
    }

    it('covers every message type', () => {
      assert.deepEqual([...new Set(cases.map((c) => c[0]))].sort(), Object.values(MessageType).sort());
    });
  });

  it('throws nothing but ProtocolError for random bytes or damaged frames', () => {
    const random = seededRandom(20260101);
    const frames = Object.values(samples()).map((m) => encode(m));
    for (let i = 0; i < 3000; i++) {
      let frame: Uint8Array;
      if (i % 2 === 0) {
        frame = new Uint8Array(1 + Math.floor(random() * 64));
        for (let j = 0; j < frame.length; j++) frame[j] = Math.floor(random() * 256);
      } else {
        frame = Uint8Array.from(frames[i % frames.length]!);
        for (let k = 0; k < 3; k++) frame[Math.floor(random() * frame.length)] = Math.floor(random() * 256);
      }
      try {
        decode(frame);
      } catch (err) {
        assert.ok(err instanceof ProtocolError, `frame ${Buffer.from(frame).toString('hex')} threw ${String(err)}`);
      }
    }
  });
});
