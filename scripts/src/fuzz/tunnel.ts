// The tunnel fuzzer: connections to an agent's tunnel listener (Node status.nodeInfo.tunnelEndpoint)
// that open with anything but a good hello: random bytes, a wrong magic or version, lengths that lie,
// a hello signed with another token, stale or replayed, a good one for a pod that is not there,
// senders that trickle one byte a second, and many connections that send nothing at all. The
// agent must answer with a status frame or close each, within its hello timeout.

import { MAC_BYTES, NONCE_BYTES, encodeHello, encodeHelloFields, parseEndpoint, tunnelMac, type TunnelHelloFields } from '@kip/shared';
import type { Gen } from './gen.js';
import { runRaw, type Piece, type RawPlan } from './raw.js';
import { showBytes, type FuzzCase, type FuzzEnv } from './target.js';

/** The agent's hello timeout (shared/src/tunnel/accept.ts) and a margin for a loaded machine. */
const HELLO_TIMEOUT_MS = 5000;
const STALL_MS = HELLO_TIMEOUT_MS + 10_000;
const ANSWER_MS = 15_000;

/** How a hello is signed when the case runs: the time must be the clock's then, not the generator's. */
interface HelloSpec {
  podIP: string;
  port: number;
  from: string;
  /** added to the clock when the case runs */
  timeOffsetMs: number;
  /** 'right': the cluster token; anything else is the token used */
  token: 'right' | string;
  /** a fixed nonce makes a replay when the same spec is sent twice */
  nonce: Buffer;
  /** break the encoded frame after signing: flip a byte, cut it, or lie about its length */
  spoil?: 'flip-mac' | 'flip-body' | 'cut' | 'length+1' | 'length-1' | 'version' | 'port0';
}

function signed(spec: HelloSpec, token: string): Buffer {
  const fields: TunnelHelloFields = { nonce: spec.nonce, time: Date.now() + spec.timeOffsetMs, podIP: spec.podIP, port: spec.port, from: spec.from };
  const body = encodeHelloFields(fields);
  const key = spec.token === 'right' ? token : spec.token;
  if (spec.spoil === 'version') body[4] = 9;
  if (spec.spoil === 'port0') body.writeUInt16BE(0, 4 + 1 + NONCE_BYTES + 8 + 4);
  const frame = encodeHello(body, tunnelMac(key, body));
  switch (spec.spoil) {
    case 'flip-mac':
      frame[frame.length - 1 - (spec.nonce[0]! % MAC_BYTES)]! ^= 0x01;
      break;
    case 'flip-body':
      frame[2 + 4 + 1 + (spec.nonce[1]! % (NONCE_BYTES + 8))]! ^= 0x80;
      break;
    case 'cut':
      return frame.subarray(0, 2 + (spec.nonce[2]! % (frame.length - 2)));
    case 'length+1':
      frame.writeUInt16BE(frame.readUInt16BE(0) + 1, 0);
      break;
    case 'length-1':
      frame.writeUInt16BE(frame.readUInt16BE(0) - 1, 0);
      break;
  }
  return frame;
}

function helloSpec(gen: Gen, env: FuzzEnv): HelloSpec {
  return {
    podIP: gen.pick(['10.244.0.250', '10.244.1.250', '10.244.200.1', '127.0.0.1', '0.0.0.0', '255.255.255.255', `10.244.${gen.int(256)}.${gen.int(256)}`]),
    port: gen.pick([1, 80, 8080, 65535, gen.between(1, 65535)]),
    from: gen.pick([...env.nodes.map((n) => n.name), '', 'controlplane', 'fuzz-node-0', gen.string().slice(0, 60)]),
    timeOffsetMs: 0,
    token: 'right',
    nonce: gen.bytes(NONCE_BYTES),
  };
}

interface TunnelPlan {
  kind: string;
  /** for the report: what the first frame is */
  show: string;
  pieces: (token: string) => Piece[];
  after: RawPlan['after'];
  connections?: number;
  deadlineMs: number;
  /** silent on purpose: only the agent's hello timeout ends it */
  waits?: boolean;
}

function tunnelPlan(gen: Gen, env: FuzzEnv): TunnelPlan {
  const kind = gen.weighted<string>([
    [15, 'random-bytes'],
    [10, 'bad-magic'],
    [15, 'wrong-token'],
    [8, 'stale'],
    [5, 'replay'],
    [10, 'no-such-pod'],
    [5, 'oversized-length'],
    [10, 'spoiled'],
    [5, 'then-garbage'],
    [4, 'stalled'],
    [3, 'slow-loris'],
    [3, 'half-open'],
  ]);
  const bytes = (b: Buffer, after: RawPlan['after'] = 'half-close'): TunnelPlan => ({
    kind,
    show: showBytes(b),
    pieces: () => [{ data: b }],
    after,
    deadlineMs: after === 'wait' ? STALL_MS : ANSWER_MS,
    waits: after === 'wait',
  });
  const spec = helloSpec(gen, env);
  const withHello = (s: HelloSpec, show: string, after: RawPlan['after'] = 'wait', more?: Buffer): TunnelPlan => ({
    kind,
    show: `${show}: hello for ${s.podIP}:${s.port} from "${showBytes(s.from)}"${s.spoil ? `, spoiled: ${s.spoil}` : ''}${s.timeOffsetMs ? `, clock ${s.timeOffsetMs} ms off` : ''}${more ? `, then ${showBytes(more)}` : ''}`,
    pieces: (token) => [{ data: () => signed(s, token) }, ...(more ? [{ data: more }] : [])],
    after,
    deadlineMs: after === 'wait' ? STALL_MS : ANSWER_MS,
    waits: after === 'wait' && s.spoil !== undefined,
  });
  switch (kind) {
    case 'random-bytes':
      return bytes(gen.bytes(gen.between(1, 700)), gen.chance(0.5) ? 'wait' : 'half-close');
    case 'bad-magic': {
      const body = Buffer.concat([Buffer.from(gen.pick(['KIPS', 'kipt', 'GET ', 'KIP', '\0\0\0\0'])), gen.bytes(gen.between(0, 120))]);
      const frame = Buffer.concat([Buffer.alloc(2), body]);
      frame.writeUInt16BE(body.length, 0);
      return bytes(frame, gen.chance(0.5) ? 'wait' : 'half-close');
    }
    case 'wrong-token':
      return withHello({ ...spec, token: gen.pick(['', 'x', randomToken(gen), gen.string()]) }, 'signed with another token');
    case 'stale':
      return withHello({ ...spec, timeOffsetMs: gen.pick([-31_000, 31_000, -3_600_000, -Date.UTC(2026, 0, 1), 10 * 365 * 86_400_000]) }, 'a stale clock');
    case 'replay':
      // The same hello (same nonce) twice, on two connections at once: one of them must be refused.
      return { ...withHello(spec, 'replayed'), connections: 2 };
    case 'no-such-pod':
      return withHello(spec, 'a good proof');
    case 'oversized-length': {
      const frame = Buffer.concat([Buffer.from([0xff, 0xff]), Buffer.from('KIPT'), gen.bytes(gen.between(0, 600))]);
      return bytes(frame, 'wait');
    }
    case 'spoiled':
      return withHello(
        { ...spec, spoil: gen.pick(['flip-mac', 'flip-body', 'cut', 'length+1', 'length-1', 'version', 'port0'] as const) },
        'a spoiled hello',
        gen.pick(['wait', 'half-close'] as const),
      );
    case 'then-garbage':
      return withHello(spec, 'a good proof', 'half-close', gen.bytes(gen.between(1, 2000)));
    case 'stalled': {
      const part = Buffer.from('KIPT');
      const frame = Buffer.concat([Buffer.from([0, 100]), part.subarray(0, gen.between(0, 4))]);
      return bytes(frame, 'wait');
    }
    case 'slow-loris': {
      // One byte a second of a hello that would be good: the hello timeout must cut it off.
      const b = Buffer.concat([Buffer.from([0, 90]), Buffer.from('KIPT'), gen.bytes(20)]);
      return {
        kind,
        show: `one byte a second: ${showBytes(b)}`,
        pieces: () => [...b].map((x, i) => ({ data: Buffer.from([x]), delayMs: i === 0 ? 0 : 1000 })),
        after: 'wait',
        deadlineMs: STALL_MS,
        waits: true,
      };
    }
    default:
      // Connections that send nothing, many at once.
      return { kind, show: 'nothing', pieces: () => [], after: 'wait', connections: gen.between(20, 60), deadlineMs: STALL_MS, waits: true };
  }
}

function randomToken(gen: Gen): string {
  return gen.bytes(24).toString('hex');
}

export function tunnelCase(gen: Gen, env: FuzzEnv, index: number): FuzzCase {
  const target = env.nodes.length ? gen.pick(env.nodes) : { name: '?', tunnel: '127.0.0.1:1', pid: 0 };
  const plan = tunnelPlan(gen, env);
  return {
    target: 'tunnel',
    index,
    kind: plan.kind,
    input: `to ${target.name}'s tunnel${plan.connections ? `, ${plan.connections} connections` : ''}: ${plan.show}`,
    deadlineMs: plan.deadlineMs,
    waits: plan.waits ?? false,
    async run(e) {
      const { host, port } = parseEndpoint(e.nodes.find((n) => n.name === target.name)?.tunnel ?? target.tunnel);
      const r = await runRaw(host, port, { pieces: plan.pieces(e.joinToken), after: plan.after, connections: plan.connections, deadlineMs: plan.deadlineMs });
      return { ok: r.ok, answer: statusOf(r.firstLine), why: r.why, ms: r.ms };
    },
  };
}

/** "KIPS" and a status byte, as the summary counts them. */
function statusOf(firstLine: string | undefined): string | undefined {
  if (!firstLine?.includes('KIPS')) return firstLine;
  const code = firstLine.charCodeAt(firstLine.indexOf('KIPS') + 4);
  return `status ${['Ok', 'Refused', 'BadProof', 'Unreachable', 'Timeout', 'ProtocolError'][code] ?? code}`;
}
