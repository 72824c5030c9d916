// The HTTP API fuzzer. Requests are written as raw bytes on a TCP socket, so that anything can be
// sent: mutated Pods, Deployments and Services as JSON and YAML, random paths, query strings and
// headers, chunked bodies right and wrong, bodies over the size limit, requests cut short, and
// senders that trickle bytes or stop halfway. The API must answer each, or close the connection,
// in time: the body of a stalled sender by its request timeout, everything else at once.
//
// Requests carry the Host and Content-Type the API asks for, except in the cases that test those
// refusals, so that they reach the handlers instead of stopping at the guard.

import { stringify as toYaml } from 'yaml';
import type { Gen } from './gen.js';
import { KINDS, deepText, makeSafe, mutate } from './objects.js';
import { runRaw, type Piece, type RawPlan } from './raw.js';
import { showBytes, type FuzzCase, type FuzzEnv } from './target.js';

/** The API server's own limits (controlplane/src/api/rest.ts, server.ts) that the cases probe. */
export const MAX_BODY_BYTES = 3 * 1024 * 1024;
/** A request must answer within this on a loaded 2-core machine. */
const ANSWER_MS = 15_000;
/** The server's headers and whole-request timeouts, plus its checking interval and a margin. */
const HEADERS_STALL_MS = 10_000 + 2000 + 8000;
const BODY_STALL_MS = 30_000 + 2000 + 8000;

interface Request {
  method: string;
  path: string;
  headers: [string, string][];
  body?: Buffer;
}

function hostOf(env: FuzzEnv): string {
  return `${env.host}:${env.port}`;
}

/** The headers a well-behaved client sends, before the case adds or breaks some. */
function baseHeaders(env: FuzzEnv, contentType?: string, body?: Buffer): [string, string][] {
  const h: [string, string][] = [
    ['Host', hostOf(env)],
    ['Connection', 'close'],
    ['User-Agent', 'kip-fuzz'],
  ];
  if (env.apiToken) h.push(['Authorization', `Bearer ${env.apiToken}`]);
  if (body !== undefined) {
    h.push(['Content-Type', contentType ?? 'application/json']);
    h.push(['Content-Length', String(body.length)]);
  }
  return h;
}

function encode(r: Request): Buffer {
  const head = `${r.method} ${r.path} HTTP/1.1\r\n${r.headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
  return r.body ? Buffer.concat([Buffer.from(head, 'latin1'), r.body]) : Buffer.from(head, 'latin1');
}

/** A mutated object of a real kind, made safe, as JSON or YAML text. */
function fuzzedBody(gen: Gen, kind: (typeof KINDS)[number], yaml: boolean): Buffer {
  const obj = makeSafe(gen.chance(0.1) ? kind.make(gen) : mutate(gen, kind.make(gen)));
  let text: string;
  try {
    text = deepText(yaml ? toYaml(obj, { aliasDuplicateObjects: false, lineWidth: 0 }) : JSON.stringify(obj));
  } catch {
    text = JSON.stringify({ kind: kind.kind });
  }
  // Sometimes a few bytes are broken too, on the text this time.
  if (gen.chance(0.15)) {
    const b = Buffer.from(text);
    for (let i = gen.between(1, 3); i > 0 && b.length; i--) b[gen.int(b.length)] = gen.int(256);
    return b;
  }
  return Buffer.from(text);
}

const YAML_NASTIES = [
  // an alias bomb: each level doubles the last
  'a: &a ["x","x"]\nb: &b [*a,*a]\nc: &c [*b,*b]\nd: &d [*c,*c]\ne: &e [*d,*d]\nf: &f [*e,*e]\ng: &g [*f,*f]\nh: &h [*g,*g]\ni: &i [*h,*h]\nkind: Pod\n',
  'kind: Pod\nmetadata: !!js/function "function(){}"\n',
  'kind: Pod\nmetadata: &m {name: x, self: *m}\n',
  '<<: {kind: Pod}\nmetadata: {name: fuzz-merge, <<: {labels: {a: b}}}\nspec: {containers: [{name: c, image: pause}], nodeSelector: {kip.dev/fuzz: nowhere}}\n',
  `${'['.repeat(5000)}${']'.repeat(5000)}`,
  `${'- '.repeat(3000)}x\n`,
  '--- a\n--- b\n--- c\n',
  'kind: Pod\nmetadata: {name: !!binary aGVsbG8=}\n',
  'kind: Pod\nmetadata:\n  name: x\n\tlabels: {}\n',
  '? [a, b]\n: c\nkind: Pod\n',
  'kind: Pod\nmetadata: {name: 0x1F, labels: {a: .inf, b: .nan, c: ~, d: 2001-12-14}}\n',
];

function collectionPath(gen: Gen): { kind: (typeof KINDS)[number]; path: string } {
  const kind = gen.pick(KINDS);
  const path = gen.chance(0.85) ? kind.path : kind.path.replace('default', gen.pick(['kube-system', 'fuzz', 'no-such-ns', gen.name(), '%2e%2e', 'DEFAULT']));
  return { kind, path };
}

/** Percent-encodes any string; lone surrogates (on which encodeURIComponent throws) become U+FFFD first. */
function pct(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return encodeURIComponent(Buffer.from(s).toString());
  }
}

function randomQuery(gen: Gen): string {
  const params: string[] = [];
  const n = gen.int(4);
  for (let i = 0; i < n; i++) {
    const key = gen.pick([
      'labelSelector',
      'fieldSelector',
      'resourceVersion',
      'watch',
      'timeoutSeconds',
      'limit',
      'continue',
      'gracePeriodSeconds',
      'propagationPolicy',
      'container',
      'follow',
      'tailLines',
      'limitBytes',
      'previous',
      gen.name(),
    ]);
    const value = gen.pick([
      'app=fuzz',
      'app in (a,b),!x',
      'a!=,=b',
      '(((',
      'metadata.name=x',
      'spec.nodeName=node-1,status.phase!=Running',
      'x.y.z=1',
      '0',
      '-1',
      '99999999999999999999',
      '1e3',
      'true',
      gen.string(),
    ]);
    params.push(`${pct(key)}=${gen.chance(0.8) ? pct(value) : value.replace(/[\s#]/g, '')}`);
  }
  return params.length ? `?${params.join('&')}` : '';
}

function randomPath(gen: Gen): string {
  const kind = gen.pick(KINDS);
  return gen.pick([
    kind.path,
    `${kind.path}/${gen.pick(['fuzz-x', gen.name(), '%00', '..', '%2F', 'a'.repeat(300)])}`,
    `${kind.path}/fuzz-x/${gen.pick(['status', 'scale', 'log', 'exec', 'portforward', gen.name()])}`,
    '/api',
    '/apis',
    '/api/v1',
    '/apis/apps/v1',
    '/healthz',
    '/version',
    '/api/v1/nodes',
    `/api/v1/nodes/${gen.name()}`,
    '/apis/metrics.k8s.io/v1beta1/nodes',
    '/apis/metrics.k8s.io/v1beta1/namespaces/default/pods',
    `/api/v1/namespaces/${gen.name()}/pods`,
    '/api/v1/namespaces/default/pods/witness/log',
    '//api//v1//pods',
    '/api/v1/../v1/pods',
    '/%',
    '*',
    `/${gen.string().replace(/[\s]/g, '')}`,
    `/${'a/'.repeat(gen.pick([10, 1000]))}`,
  ]);
}

/** A body written in chunked encoding, in the pieces given; `broken` spoils the framing. */
function chunked(body: Buffer, gen: Gen, broken: boolean): Buffer {
  const parts: Buffer[] = [];
  let o = 0;
  while (o < body.length) {
    const n = Math.min(body.length - o, gen.between(1, 200));
    const ext = gen.chance(0.1) ? `;${gen.name()}=${gen.name()}` : '';
    parts.push(Buffer.from(`${n.toString(16)}${ext}\r\n`), body.subarray(o, o + n), Buffer.from('\r\n'));
    o += n;
  }
  parts.push(Buffer.from('0\r\n\r\n'));
  if (broken) {
    const spoil = gen.pick(['ffffffffffffffff\r\n', 'zz\r\n', '-1\r\n', '5\r\nab\r\n', '\r\n\r\n', '1\n', '0x10\r\n', `${'1'.repeat(100)}\r\n`]);
    parts.splice(gen.int(parts.length), gen.chance(0.5) ? 1 : 0, Buffer.from(spoil));
  }
  return Buffer.concat(parts);
}

/** Splits bytes into pieces written with pauses: a slow sender. */
function trickle(bytes: Buffer, gen: Gen, totalMs: number): Piece[] {
  const n = gen.between(5, 40);
  const size = Math.ceil(bytes.length / n);
  const pieces: Piece[] = [];
  for (let o = 0; o < bytes.length; o += size) pieces.push({ data: bytes.subarray(o, o + size), delayMs: Math.floor(totalMs / n) });
  return pieces;
}

type Plan = { kind: string; request?: Request; raw?: Buffer; plan: RawPlan };

function answered(bytes: Buffer, deadlineMs = ANSWER_MS): RawPlan {
  return { pieces: [{ data: bytes }], after: 'half-close', deadlineMs };
}

/** One HTTP case: what to send, and how. */
export function httpCase(gen: Gen, env: FuzzEnv, index: number): FuzzCase {
  const p = httpPlan(gen, env);
  const bytes = p.raw ?? encode(p.request!);
  return {
    target: 'http',
    index,
    kind: p.kind,
    input: showBytes(bytes),
    deadlineMs: p.plan.deadlineMs,
    waits: p.plan.after === 'wait',
    async run(e) {
      const r = await runRaw(e.host, e.port, p.plan);
      // A server error's message says what threw; it goes with the status line into the report.
      const message = /^HTTP\/1\.1 5/.test(r.firstLine ?? '') ? /"message":"((?:[^"\\]|\\.){0,200})/.exec(r.head ?? '')?.[1] : undefined;
      return { ok: r.ok, answer: message ? `${r.firstLine}: ${message}` : r.firstLine, why: r.why, ms: r.ms };
    },
  };
}

export function httpPlan(gen: Gen, env: FuzzEnv): Plan {
  const kind = gen.weighted<string>([
    [25, 'post-json'],
    [8, 'post-yaml'],
    [10, 'update'],
    [15, 'get'],
    [8, 'headers'],
    [8, 'chunked'],
    [2, 'oversized'],
    [6, 'truncated'],
    [4, 'slow'],
    [2, 'stalled'],
    [4, 'refused'],
    [4, 'garbage'],
    [4, 'yaml-nasty'],
    [4, 'upgrade'],
  ]);
  switch (kind) {
    case 'post-json':
    case 'post-yaml': {
      const { kind: k, path } = collectionPath(gen);
      const yaml = kind === 'post-yaml';
      const body = fuzzedBody(gen, k, yaml);
      const request = { method: 'POST', path, headers: baseHeaders(env, yaml ? 'application/yaml' : 'application/json', body), body };
      return { kind, request, plan: answered(encode(request)) };
    }
    case 'update': {
      const k = gen.pick(KINDS);
      const name = gen.pick(['fuzz-x', 'witness', gen.name()]);
      const method = gen.pick(['PUT', 'PATCH', 'PATCH', 'DELETE']);
      const sub = gen.pick(['', '', '/status', '/scale']);
      const type =
        method === 'PATCH'
          ? gen.pick(['application/merge-patch+json', 'application/strategic-merge-patch+json', 'application/json-patch+json', 'application/apply-patch+yaml'])
          : 'application/json';
      const body = method === 'PATCH' && gen.chance(0.5) ? Buffer.from(JSON.stringify(makeSafe(gen.json(3)))) : fuzzedBody(gen, k, type.includes('yaml'));
      const request = { method, path: `${k.path}/${name}${sub}${randomQuery(gen)}`, headers: baseHeaders(env, type, body), body };
      return { kind, request, plan: answered(encode(request)) };
    }
    case 'get': {
      const watch = gen.chance(0.3);
      const path = `${randomPath(gen)}${watch ? `?watch=${gen.pick(['true', '1', 'false'])}&timeoutSeconds=${gen.pick(['1', '2', '0', '-1', 'x'])}${gen.chance(0.5) ? `&resourceVersion=${gen.pick(['0', '1', '999999999', 'abc', '-5'])}` : ''}` : randomQuery(gen)}`;
      const request = { method: gen.pick(['GET', 'GET', 'GET', 'HEAD', 'OPTIONS', 'DELETE', 'TRACE', 'CONNECT', 'FOO']), path, headers: baseHeaders(env) };
      return { kind, request, plan: answered(encode(request)) };
    }
    case 'headers': {
      const { kind: k, path } = collectionPath(gen);
      const body = fuzzedBody(gen, k, false);
      const headers = baseHeaders(env, 'application/json', body);
      for (let i = gen.between(1, 5); i > 0; i--) {
        headers.splice(
          gen.int(headers.length + 1),
          0,
          gen.pick<[string, string]>([
            ['Content-Length', String(gen.pick([0, 1, body.length + 10, -1]))],
            ['Content-Length', 'abc'],
            ['Transfer-Encoding', gen.pick(['chunked', 'gzip', 'identity', 'chunked, chunked'])],
            ['Content-Type', gen.pick(['application/json; charset=utf-16', 'application/yaml;;;', 'APPLICATION/JSON', 'application/json, text/plain'])],
            ['Accept', gen.pick(['application/json;as=Table;v=v1;g=meta.k8s.io', '*/*', 'application/vnd.kubernetes.protobuf', gen.string()])],
            ['Authorization', gen.pick(['Bearer ', 'Bearer x', 'Basic YTpi', gen.string()])],
            ['Expect', '100-continue'],
            ['Connection', gen.pick(['keep-alive', 'upgrade', 'close, upgrade'])],
            ['Upgrade', gen.pick(['websocket', 'h2c', gen.name()])],
            ['X-Fuzz', 'a'.repeat(gen.pick([10, 8000, 20_000]))],
            [gen.name(), gen.string().replace(/[\r\n]/g, '')],
            [`X-${gen.name()}`, gen.name()],
          ]),
        );
      }
      const request = { method: gen.pick(['POST', 'PUT', 'GET']), path, headers, body };
      return { kind, request, plan: answered(encode(request)) };
    }
    case 'chunked': {
      const { kind: k, path } = collectionPath(gen);
      const inner = fuzzedBody(gen, k, gen.chance(0.3));
      const body = chunked(inner, gen, gen.chance(0.4));
      const headers = baseHeaders(env).concat([
        ['Content-Type', 'application/json'],
        ['Transfer-Encoding', 'chunked'],
      ]);
      const request = { method: 'POST', path, headers, body };
      return { kind, request, plan: answered(encode(request)) };
    }
    case 'oversized': {
      const { path } = collectionPath(gen);
      const how = gen.pick(['declared', 'sent', 'chunked']);
      if (how === 'declared') {
        // A length far over the limit, and only a little of it sent: refused from the header alone, or waited for.
        const headers = baseHeaders(env).concat([
          ['Content-Type', 'application/json'],
          ['Content-Length', String(gen.pick([MAX_BODY_BYTES + 1, 2 ** 40, 2 ** 53]))],
        ]);
        const raw = encode({ method: 'POST', path, headers, body: Buffer.from('{"kind":"Pod"') });
        return { kind, raw, plan: { pieces: [{ data: raw }], after: 'half-close', deadlineMs: ANSWER_MS } };
      }
      // Bodies a little over the limit, actually sent (JSON with a huge string in it), made when sent.
      const size = MAX_BODY_BYTES + gen.between(1, 1024 * 1024);
      const head = (length: number | 'chunked') =>
        encode({
          method: 'POST',
          path,
          headers: baseHeaders(env).concat([
            ['Content-Type', 'application/json'],
            length === 'chunked' ? ['Transfer-Encoding', 'chunked'] : ['Content-Length', String(length)],
          ]),
        });
      const open = Buffer.from('{"kind":"Pod","x":"');
      const close = Buffer.from('"}');
      const bodyLength = open.length + size + close.length;
      const pieces: Piece[] =
        how === 'sent'
          ? [{ data: head(bodyLength) }, { data: open }, { data: () => Buffer.alloc(size, 'x') }, { data: close }]
          : [
              { data: head('chunked') },
              { data: Buffer.from(`${bodyLength.toString(16)}\r\n`) },
              { data: open },
              { data: () => Buffer.alloc(size, 'x') },
              { data: close },
              { data: Buffer.from('\r\n0\r\n\r\n') },
            ];
      const raw = Buffer.concat([head(how === 'sent' ? bodyLength : 'chunked'), open, Buffer.from(`... ${size} bytes of x ...`), close]);
      return { kind, raw, plan: { pieces, after: 'half-close', deadlineMs: ANSWER_MS * 2 } };
    }
    case 'truncated': {
      const { kind: k, path } = collectionPath(gen);
      const body = fuzzedBody(gen, k, false);
      const full = encode({ method: 'POST', path, headers: baseHeaders(env, 'application/json', body), body });
      const raw = full.subarray(0, gen.int(full.length));
      return { kind, raw, plan: answered(raw) };
    }
    case 'slow': {
      const { kind: k, path } = collectionPath(gen);
      const body = fuzzedBody(gen, k, false);
      const raw = encode({ method: 'POST', path, headers: baseHeaders(env, 'application/json', body), body });
      const totalMs = gen.between(500, 3000);
      return { kind, raw, plan: { pieces: trickle(raw, gen, totalMs), after: 'half-close', deadlineMs: totalMs + ANSWER_MS } };
    }
    case 'stalled': {
      // Part of a request, then nothing, the connection left open: the server's timeouts must end it.
      const { kind: k, path } = collectionPath(gen);
      const body = fuzzedBody(gen, k, false);
      const full = encode({ method: 'POST', path, headers: baseHeaders(env, 'application/json', body), body });
      const headEnd = full.indexOf('\r\n\r\n') + 4;
      const inBody = gen.chance(0.5) && body.length > 1;
      const raw = full.subarray(0, inBody ? headEnd + gen.int(body.length) : gen.between(1, headEnd - 2));
      return {
        kind: inBody ? 'stalled-body' : 'stalled-headers',
        raw,
        plan: { pieces: [{ data: raw }], after: 'wait', deadlineMs: inBody ? BODY_STALL_MS : HEADERS_STALL_MS },
      };
    }
    case 'refused': {
      // What the guard must refuse: a body type a web page could send, a foreign Host or Origin, no Host.
      const { kind: k, path } = collectionPath(gen);
      const body = fuzzedBody(gen, k, false);
      const which = gen.pick(['type', 'host', 'origin', 'no-host']);
      let headers = baseHeaders(
        env,
        which === 'type'
          ? gen.pick(['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '', 'application/jsonp'])
          : 'application/json',
        body,
      );
      if (which === 'host')
        headers = headers.map(([h, v]) =>
          h === 'Host'
            ? [h, gen.pick([`evil.example:${env.port}`, `127.0.0.1:${env.port + 1}`, `127.0.0.1.nip.io:${env.port}`, '127.0.0.1', '[::1]:1', gen.string()])]
            : [h, v],
        );
      if (which === 'no-host') headers = headers.filter(([h]) => h !== 'Host');
      if (which === 'origin')
        headers.push(['Origin', gen.pick(['http://evil.example', 'null', `http://127.0.0.1:${env.port + 1}`, 'file://', gen.string().replace(/[\r\n]/g, '')])]);
      const request = { method: 'POST', path, headers, body };
      return { kind: `refused-${which}`, request, plan: answered(encode(request)) };
    }
    case 'garbage': {
      const raw = gen.pick([
        () => gen.bytes(gen.between(1, 2000)),
        () => Buffer.from(`${gen.pick(['GET', 'POST', 'G\0T', ''])} ${gen.string()} HTTP/${gen.pick(['1.1', '1.0', '2.0', '0.9', '9'])}\r\n\r\n`),
        () => Buffer.from(`PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n`),
        () => Buffer.from(`GET / HTTP/1.1\r\nHost: ${hostOf(env)}\r\n${'X: y\r\n'.repeat(gen.pick([100, 3000]))}\r\n`),
        () => Buffer.from(`GET /healthz HTTP/1.1\r\nHost: ${hostOf(env)}\r\n\r\n`.repeat(gen.between(2, 50))),
        () => Buffer.from(`GET /${'a'.repeat(gen.pick([10_000, 100_000]))} HTTP/1.1\r\nHost: ${hostOf(env)}\r\n\r\n`),
        () => Buffer.from(`\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03${'\0'.repeat(40)}`, 'latin1'),
      ])();
      return { kind, raw, plan: answered(raw) };
    }
    case 'upgrade': {
      // WebSocket upgrades, right and wrong, to the agents' path, port-forward and elsewhere.
      const path = gen.pick([
        '/agent/v1/connect',
        `/api/v1/namespaces/default/pods/${gen.pick(['witness-node-1', 'fuzz-x', gen.name()])}/portforward?ports=${gen.pick(['80', '0', '70000', 'x', '1,2,3', ''])}`,
        `/api/v1/namespaces/default/services/${gen.name()}/portforward`,
        '/api/v1/namespaces/default/pods?watch=true',
        randomPath(gen),
      ]);
      const headers = baseHeaders(env).concat([
        ['Connection', gen.pick(['Upgrade', 'upgrade, keep-alive', 'close'])],
        ['Upgrade', gen.pick(['websocket', 'WebSocket', 'h2c', gen.name()])],
      ]);
      if (gen.chance(0.8)) headers.push(['Sec-WebSocket-Key', gen.pick([gen.bytes(16).toString('base64'), '', 'x', gen.bytes(40).toString('base64')])]);
      if (gen.chance(0.8)) headers.push(['Sec-WebSocket-Version', gen.pick(['13', '8', '', '99'])]);
      if (gen.chance(0.3)) headers.push(['Sec-WebSocket-Protocol', gen.pick(['portforward.k8s.io', 'v4.channel.k8s.io', gen.name()])]);
      if (gen.chance(0.2)) headers.push(['Origin', gen.pick(['http://evil.example', `http://127.0.0.1:${env.port}`])]);
      const request = { method: 'GET', path, headers, body: gen.chance(0.2) ? gen.bytes(gen.between(1, 100)) : undefined };
      return { kind, request, plan: answered(encode(request)) };
    }
    default: {
      const body = Buffer.from(gen.pick(YAML_NASTIES));
      const { path } = collectionPath(gen);
      const request = { method: 'POST', path, headers: baseHeaders(env, 'application/yaml', body), body };
      return { kind, request, plan: answered(encode(request)) };
    }
  }
}
