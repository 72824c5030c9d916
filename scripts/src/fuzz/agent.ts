// The agent WebSocket fuzzer (/agent/v1/connect). Frames that are not msgpack, msgpack that is not
// a message, messages before the hello or of the control plane's direction, hellos with a wrong
// token or a broken node, hellos with the right token that claim a real node's name, and sessions
// of a fuzz node (right token, its own name) that report status, termination, events and metrics
// of pods bound to real nodes. Also bytes below the WebSocket layer: bad frame headers after a
// real upgrade.
//
// The control plane must close every connection that does not complete a hello within its hello
// timeout, refuse a hello for a node that is connected already, and change nothing of another
// node's pods: runFuzz checks the witness pods afterwards.

import { randomBytes } from 'node:crypto';
import { Packr } from 'msgpackr';
import WebSocket from 'ws';
import { AGENT_PATH, PROTOCOL_VERSION } from '@kip/shared';
import type { Gen } from './gen.js';
import { runRaw } from './raw.js';
import { showBytes, type CaseResult, type FuzzCase, type FuzzEnv } from './target.js';

/** The marker fuzzed status carries: seen on a witness pod, it means a fuzz frame changed it. */
export const FUZZ_MARKER = 'kip-fuzz-was-here';
/** The only node names fuzz sessions register: each takes a pod CIDR, and there are 256. */
export const FUZZ_NODES = ['fuzz-node-0', 'fuzz-node-1', 'fuzz-node-2'];
/** The control plane's hello timeout, its close handshake, and a margin for a loaded machine. */
const UNAUTHENTICATED_MS = 10_000 + 2000 + 8000;
const ANSWER_MS = 15_000;
/** How long a welcomed fuzz session stays after its last frame, for the answers to come. */
const LINGER_MS = 300;

const packr = new Packr({ useRecords: false, moreTypes: false });

interface Frame {
  /** what goes on the wire: a binary frame, or text for a text frame */
  data: Buffer | string;
  /** what it is, for the report */
  show: unknown;
}

const TYPES = [
  'hello',
  'welcome',
  'refuse',
  'podSync',
  'podUpsert',
  'podRemove',
  'heartbeat',
  'podStatus',
  'podTerminated',
  'events',
  'logRequest',
  'logCancel',
  'logData',
  'logEnd',
  'routes',
  'faults',
  'nodeAction',
];

function msg(value: unknown, show: unknown = value): Frame {
  let data: Buffer;
  try {
    data = packr.pack(value);
  } catch {
    data = packr.pack(null);
  }
  return { data, show };
}

/** A hello, well formed unless `node` says otherwise; the token is shown, never the real one. */
function hello(env: FuzzEnv, token: 'right' | string, node: Record<string, unknown>, extra: Record<string, unknown> = {}): Frame {
  const m = { type: 'hello', protocol: PROTOCOL_VERSION, token: token === 'right' ? env.joinToken : token, node, pods: [], ...extra };
  return msg(m, { ...m, token: token === 'right' ? '<the join token>' : token });
}

function node(gen: Gen, name: string): Record<string, unknown> {
  return { name, capacity: { cpu: '1', memory: '1Gi', pods: '10' }, labels: { 'kip.dev/fuzz': 'yes' }, pid: 4_000_000 + gen.int(100_000), version: '0.1.0' };
}

/** A node whose fields are broken: the right token gets it past the token check into registration. */
function brokenNode(gen: Gen): Record<string, unknown> {
  const n = node(gen, gen.pick(FUZZ_NODES));
  const field = gen.pick(['name', 'capacity', 'labels', 'pid', 'version', 'tunnelEndpoint', 'extra']);
  switch (field) {
    case 'name':
      n.name = gen.chance(0.5) ? gen.string() : gen.json(2);
      break;
    case 'capacity':
      n.capacity = gen.pick([
        { cpu: gen.string() },
        { cpu: -1 },
        { memory: '1e400' },
        { pods: '-5' },
        { ['__proto__']: '1' },
        { [gen.name()]: gen.json(1) },
        [],
      ]);
      break;
    case 'labels':
      n.labels = gen.pick([
        { a: 1 },
        { a: null },
        { a: { b: 'c' } },
        { [gen.string()]: gen.string() },
        { 'kubernetes.io/hostname': 'node-1' },
        { a: ['x'] },
        [],
      ]);
      break;
    case 'pid':
      n.pid = gen.pick([-1, 0, 1, 2 ** 53, 1.5, Number.NaN]);
      break;
    case 'version':
      n.version = gen.json(2);
      break;
    case 'tunnelEndpoint':
      n.tunnelEndpoint = gen.pick([gen.string(), '127.0.0.1:0', '127.0.0.1:99999', '[::1]:1', 'host', 12, { a: 1 }, '10.0.0.1:80']);
      break;
    default:
      n[gen.pick(['__proto__', 'constructor', gen.name()])] = gen.json(2);
  }
  return n;
}

/** A message of a random known type with random fields, or one of its fields broken. */
function randomMessage(gen: Gen): Frame {
  const m: Record<string, unknown> = { type: gen.chance(0.9) ? gen.pick(TYPES) : gen.string() };
  for (let i = gen.int(5); i > 0; i--)
    m[gen.pick(['id', 'pods', 'updates', 'events', 'time', 'usage', 'data', 'pod', 'namespace', 'name', 'uid', 'node', 'protocol', 'token', gen.name()])] =
      gen.json(2);
  return msg(m);
}

/** Messages a fuzz node sends about pods that are not its own: the witnesses on real nodes. */
function aboutOthers(gen: Gen, env: FuzzEnv): Frame {
  const w = env.witnesses.length ? gen.pick(env.witnesses) : { namespace: 'default', name: 'witness', uid: 'x', node: 'node-1' };
  const ref = { namespace: w.namespace, name: w.name, uid: w.uid };
  return gen.pick([
    () => msg({ type: 'podStatus', updates: [{ ...ref, status: { phase: 'Failed', message: FUZZ_MARKER, reason: FUZZ_MARKER } }] }),
    () => msg({ type: 'podStatus', updates: [{ ...ref, status: gen.json(3) }] }),
    () =>
      msg({
        type: 'podStatus',
        updates: [{ ...ref, status: { phase: 'Running', conditions: gen.json(2), containerStatuses: gen.json(2), podIP: gen.string() } }],
      }),
    () => msg({ type: 'podTerminated', ...ref }),
    () => msg({ type: 'events', events: [{ involvedObject: { kind: 'Pod', ...ref }, reason: FUZZ_MARKER, message: gen.string(), type: 'Warning' }] }),
    () =>
      msg({
        type: 'events',
        events: [
          { involvedObject: { kind: gen.string(), name: gen.string(), namespace: gen.json(1) }, reason: gen.string(), message: gen.string(), type: 'Normal' },
        ],
      }),
    () =>
      msg({ type: 'heartbeat', time: Date.UTC(2026, 0, 1), usage: { cpu: gen.number(), memory: gen.number(), pods: [{ ...ref, containers: gen.json(2) }] } }),
    () => msg({ type: 'heartbeat', time: gen.number(), usage: { cpu: 1, memory: 1, pods: [gen.json(2)] } }),
    () => msg({ type: 'logData', id: gen.int(5), data: gen.bytes(gen.int(100)) }),
    () => msg({ type: 'logEnd', id: gen.int(5), error: gen.json(1) }),
    () => hello(env, 'right', node(gen, gen.pick(FUZZ_NODES))),
    () => randomMessage(gen),
  ])();
}

/** A frame that does not decode, or decodes to something that is not a message. */
function badFrame(gen: Gen): Frame {
  return gen.pick<() => Frame>([
    () => ({ data: gen.bytes(gen.between(0, 300)), show: 'random bytes' }),
    () => msg(gen.json(3)),
    () => msg(gen.deep(gen.pick([100, 5000]))),
    () => {
      const full = packr.pack({ type: 'heartbeat', time: 1, usage: { cpu: 1, memory: 1, pods: [] } });
      return { data: full.subarray(0, gen.int(full.length)), show: 'a truncated heartbeat' };
    },
    () => {
      // headers that announce more than there is: huge arrays, maps and strings
      const b = gen.pick(['dd ff ff ff ff', 'df ff ff ff ff', 'db ff ff ff ff', 'c6 ff ff ff ff', 'dc ff ff 01', '81 a4 74 79 70 65 dd 7f ff ff ff']);
      return { data: Buffer.from(b.replace(/ /g, ''), 'hex'), show: `msgpack header ${b} and nothing after it` };
    },
    () => {
      // extension types: timestamps, records, the byte msgpack never uses
      const b = gen.pick(['c1', 'd6 ff 00 00 00 00', 'd4 72 00', 'c7 03 72 01 02 03', 'd5 00 00 00', 'c7 00 ff', 'd8 ff' + '00'.repeat(16)]);
      return { data: Buffer.from(b.replace(/ /g, ''), 'hex'), show: `msgpack ${b}` };
    },
    () => ({ data: gen.string(), show: 'a text frame' }),
    () => ({ data: Buffer.alloc(0), show: 'an empty frame' }),
  ])();
}

interface WsPlan {
  kind: string;
  frames: Frame[];
  deadlineMs: number;
}

function wsPlan(gen: Gen, env: FuzzEnv): WsPlan {
  const kind = gen.weighted<string>([
    [15, 'bad-frame'],
    [12, 'before-hello'],
    [8, 'wrong-token'],
    [10, 'broken-hello'],
    [6, 'claim-real-node'],
    [20, 'fuzz-session'],
    [3, 'silent'],
  ]);
  switch (kind) {
    case 'bad-frame':
      return { kind, frames: [badFrame(gen)], deadlineMs: UNAUTHENTICATED_MS };
    case 'before-hello':
      return {
        kind,
        frames: Array.from({ length: gen.between(1, 3) }, () => (gen.chance(0.5) ? randomMessage(gen) : aboutOthers(gen, env))).filter((f) => !isHello(f)),
        deadlineMs: UNAUTHENTICATED_MS,
      };
    case 'wrong-token':
      return {
        kind,
        frames: [
          hello(
            env,
            gen.pick(['', 'x', env.joinToken.slice(1), env.joinToken + 'x', env.joinToken.toUpperCase(), gen.string()]),
            node(gen, gen.pick([...FUZZ_NODES, ...env.nodes.map((n) => n.name)])),
          ),
        ],
        deadlineMs: UNAUTHENTICATED_MS,
      };
    case 'broken-hello': {
      const h = gen.chance(0.7)
        ? hello(env, 'right', brokenNode(gen))
        : hello(
            env,
            'right',
            node(gen, gen.pick(FUZZ_NODES)),
            gen.pick([
              { protocol: gen.pick([0, 1, 99, -1, '2', null]) },
              { pods: gen.json(2) },
              { pods: [{ namespace: 'default', name: gen.string(), uid: gen.string() }] },
              { token: gen.json(1) },
            ]),
          );
      return { kind, frames: [h, ...(gen.chance(0.5) ? [aboutOthers(gen, env)] : [])], deadlineMs: UNAUTHENTICATED_MS };
    }
    case 'claim-real-node': {
      const real = env.nodes.length ? gen.pick(env.nodes).name : 'node-1';
      return { kind, frames: [hello(env, 'right', node(gen, real)), aboutOthers(gen, env)], deadlineMs: UNAUTHENTICATED_MS };
    }
    case 'fuzz-session': {
      const frames = [hello(env, 'right', node(gen, gen.pick(FUZZ_NODES)))];
      for (let i = gen.between(1, 8); i > 0; i--) frames.push(gen.chance(0.8) ? aboutOthers(gen, env) : badFrame(gen));
      return { kind, frames, deadlineMs: ANSWER_MS };
    }
    default:
      return { kind, frames: [], deadlineMs: UNAUTHENTICATED_MS };
  }
}

function isHello(f: Frame): boolean {
  return typeof f.show === 'object' && f.show !== null && (f.show as { type?: unknown }).type === 'hello';
}

/** Bytes below the WebSocket layer, after a real upgrade: the ws library's own checks. */
function rawFrames(gen: Gen): { show: string; bytes: Buffer } {
  const mask = gen.bytes(4);
  const choices: [string, Buffer][] = [
    ['an unmasked binary frame', Buffer.from('820300ff00', 'hex')],
    ['a frame announcing 2^63 bytes', Buffer.concat([Buffer.from('82ff7fffffffffffffff', 'hex'), mask])],
    ['a frame announcing 100 MiB', Buffer.concat([Buffer.from('82ff0000000006400000', 'hex'), mask])],
    ['a reserved opcode', Buffer.concat([Buffer.from('8380', 'hex'), mask])],
    ['RSV bits set', Buffer.concat([Buffer.from('f280', 'hex'), mask])],
    ['a fragmented control frame', Buffer.concat([Buffer.from('0980', 'hex'), mask])],
    ['a continuation with nothing to continue', Buffer.concat([Buffer.from('8080', 'hex'), mask])],
    ['a close frame with a bad code', Buffer.concat([Buffer.from('8882', 'hex'), mask, Buffer.from([0x03 ^ mask[0]!, 0xe7 ^ mask[1]!])])],
    ['a ping of 200 bytes', Buffer.concat([Buffer.from('89fe00c8', 'hex'), mask, Buffer.alloc(200)])],
    ['random bytes', gen.bytes(gen.between(1, 500))],
    ['half a frame header', Buffer.from('82', 'hex')],
  ];
  const [show, bytes] = gen.pick(choices);
  return { show, bytes };
}

function upgradeRequest(env: FuzzEnv): Buffer {
  return Buffer.from(
    `GET ${AGENT_PATH} HTTP/1.1\r\nHost: ${env.host}:${env.port}\r\nConnection: Upgrade\r\nUpgrade: websocket\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\n\r\n`,
  );
}

export function agentCase(gen: Gen, env: FuzzEnv, index: number): FuzzCase {
  if (gen.chance(0.12)) {
    const { show, bytes } = rawFrames(gen);
    return {
      target: 'agent',
      index,
      kind: 'ws-framing',
      input: `after the upgrade: ${show}: ${showBytes(bytes)}`,
      deadlineMs: UNAUTHENTICATED_MS,
      waits: true,
      async run(e) {
        const r = await runRaw(e.host, e.port, {
          pieces: [{ data: () => upgradeRequest(e) }, { data: bytes, delayMs: 50 }],
          after: 'wait',
          until: 'close',
          deadlineMs: UNAUTHENTICATED_MS,
        });
        return { ok: r.ok, answer: r.firstLine?.startsWith('HTTP/1.1 101') ? 'closed after upgrade' : r.firstLine, why: r.why, ms: r.ms };
      },
    };
  }
  const plan = wsPlan(gen, env);
  return {
    target: 'agent',
    index,
    kind: plan.kind,
    input: plan.frames.map((f) => (Buffer.isBuffer(f.show) ? showBytes(f.show) : typeof f.show === 'string' ? f.show : clip(f.show))),
    deadlineMs: plan.deadlineMs,
    waits: plan.kind === 'silent',
    run: (e) => runWs(e, plan),
  };
}

/** A value as JSON, long strings and deep nesting cut, for the report. */
function clip(v: unknown): unknown {
  let text: string;
  try {
    text = JSON.stringify(v, (_k, x: unknown) =>
      typeof x === 'string' && x.length > 80
        ? `${x.slice(0, 80)}... (${x.length} chars)`
        : Buffer.isBuffer(x) || x instanceof Uint8Array
          ? `<${x.length} bytes>`
          : x,
    );
  } catch {
    return '(too deep to show)';
  }
  return text.length > 600 ? `${text.slice(0, 600)}...` : JSON.parse(text);
}

/** The message types the server sent, for the answer. */
function typeOf(data: Buffer): string {
  try {
    const m = packr.unpack(data) as { type?: unknown; reason?: unknown };
    return m.type === 'refuse' ? `refuse ${String(m.reason)}` : String(m.type);
  } catch {
    return '?';
  }
}

function runWs(env: FuzzEnv, plan: WsPlan): Promise<CaseResult> {
  const started = Date.now();
  return new Promise((resolve) => {
    const ws = new WebSocket(`ws://${env.host}:${env.port}${AGENT_PATH}`, { handshakeTimeout: plan.deadlineMs, perMessageDeflate: false });
    const got: string[] = [];
    let settled = false;
    let welcomed = false;
    let sentAll = false;
    const timers: NodeJS.Timeout[] = [];
    const finish = (ok: boolean, answer: string, why?: string) => {
      if (settled) return;
      settled = true;
      for (const t of timers) clearTimeout(t);
      ws.terminate();
      // A welcome for a node that is connected already is a takeover, not an answer.
      const claimed = plan.kind === 'claim-real-node' && welcomed;
      resolve({
        ok: ok && !claimed,
        violation: claimed,
        answer,
        why: claimed ? 'the control plane welcomed a second agent for a connected node' : why,
        ms: Date.now() - started,
      });
    };
    const answer = () => got.slice(0, 3).join(', ');
    timers.push(
      setTimeout(
        () => finish(false, answer() || 'nothing', `no close within ${plan.deadlineMs} ms${welcomed ? '' : ' of a connection that never completed a hello'}`),
        plan.deadlineMs,
      ),
    );
    ws.on('error', (err) => finish(true, `error: ${err.message}`));
    ws.on('unexpected-response', (_req, res) => finish(true, `HTTP ${res.statusCode}`));
    ws.on('message', (data: Buffer, isBinary) => {
      const type = isBinary ? typeOf(data) : 'text';
      if (type === 'welcome') welcomed = true;
      if (got.length < 10) got.push(type);
      if (welcomed && sentAll) linger();
    });
    ws.on('close', (code, reason) => finish(true, `${answer() ? `${answer()}, ` : ''}closed ${code}: ${reason.toString().slice(0, 60)}`));
    const linger = () => timers.push(setTimeout(() => finish(true, `${answer()}, kept open`), LINGER_MS));
    ws.on('open', async () => {
      for (const f of plan.frames) {
        if (settled || ws.readyState !== ws.OPEN) return;
        await new Promise<void>((r) => ws.send(f.data, { binary: typeof f.data !== 'string' }, () => r()));
        await new Promise((r) => timers.push(setTimeout(r, 10)));
      }
      sentAll = true;
      if (welcomed) linger();
    });
  });
}
