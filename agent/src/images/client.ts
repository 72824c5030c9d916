// The client image: calls a URL at a steady rate and logs one line per request with its status,
// latency and the pod that answered (from http-echo's JSON), so that load balancing, failover,
// latency faults and partitions show up in `kip logs -f`. It goes through HTTP_PROXY when one is
// set, which is how pods reach services and other pods in kip; a failure logs a line too
// (refused, timeout, or the proxy's status with its reason).

import http from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { flagsOrExit, formatMs } from './flags.js';

const flags = flagsOrExit('client', process.argv.slice(2), {
  url: { kind: 'string', aliases: ['u'] },
  interval: { kind: 'duration', aliases: ['i'] },
  rate: { kind: 'number', aliases: ['r'] },
  count: { kind: 'int', aliases: ['n'] },
  timeout: { kind: 'duration' },
  method: { kind: 'string' },
  quiet: { kind: 'bool', aliases: ['q'] },
  'keep-alive': { kind: 'bool' },
});

function fail(msg: string): never {
  process.stderr.write(`client: ${msg}\n`);
  process.exit(2);
}

const rawUrl = typeof flags.values.url === 'string' ? flags.values.url : (flags.positional[0] ?? process.env.URL);
if (!rawUrl) fail('a URL is required: --url http://web or as the first argument');
let target: URL;
try {
  target = new URL(/^[a-z]+:\/\//i.test(rawUrl) ? rawUrl : `http://${rawUrl}`);
} catch {
  fail(`invalid URL "${rawUrl}"`);
}
if (target.protocol !== 'http:') fail(`unsupported scheme "${target.protocol}" in ${rawUrl}: only http is supported`);

const rate = typeof flags.values.rate === 'number' && flags.values.rate > 0 ? flags.values.rate : 0;
const intervalMs = rate > 0 ? 1000 / rate : typeof flags.values.interval === 'number' ? flags.values.interval : 1000;
const count = typeof flags.values.count === 'number' ? flags.values.count : 0;
const timeoutMs = typeof flags.values.timeout === 'number' ? flags.values.timeout : 2000;
const method = typeof flags.values.method === 'string' ? flags.values.method.toUpperCase() : 'GET';
// Like curl in a loop, each request opens its own connection, so a service's balancing and
// failover show request by request; --keep-alive reuses connections instead.
const agent = flags.values['keep-alive'] === true ? new http.Agent({ keepAlive: true }) : false;

/** The proxy to use for this host, honouring NO_PROXY as curl does. */
function proxyFor(url: URL): URL | undefined {
  const raw = process.env.HTTP_PROXY ?? process.env.http_proxy;
  if (!raw) return undefined;
  const noProxy = (process.env.NO_PROXY ?? process.env.no_proxy ?? '')
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter(Boolean);
  const host = url.hostname.toLowerCase();
  if (noProxy.some((n) => n === '*' || host === n.replace(/^\./, '') || host.endsWith(n.startsWith('.') ? n : `.${n}`))) return undefined;
  try {
    return new URL(/^[a-z]+:\/\//i.test(raw) ? raw : `http://${raw}`);
  } catch {
    fail(`invalid HTTP_PROXY "${raw}"`);
  }
}

const proxy = proxyFor(target);
// Credentials in the proxy URL go out as Proxy-Authorization, as curl sends them: kip's proxy
// learns from them which pod is asking.
const proxyAuth = proxy?.username
  ? `Basic ${Buffer.from(`${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`).toString('base64')}`
  : undefined;

/** Who answered: http-echo's JSON names its pod and node; with -text, and other servers, the x-kip-pod and x-kip-node headers. */
function responder(body: string, headers: http.IncomingHttpHeaders): string {
  try {
    const j = JSON.parse(body) as { pod?: unknown; node?: unknown };
    if (typeof j.pod === 'string' && j.pod) return ` pod=${j.pod}${typeof j.node === 'string' && j.node ? ` node=${j.node}` : ''}`;
  } catch {
    // not JSON
  }
  const pod = headers['x-kip-pod'];
  const node = headers['x-kip-node'];
  return pod ? ` pod=${String(pod)}${node ? ` node=${String(node)}` : ''}` : '';
}
let sent = 0;
let ok = 0;
let errors = 0;

function log(line: string): void {
  if (!flags.values.quiet) process.stdout.write(`${new Date().toISOString()} ${line}\n`);
}

function once(): Promise<void> {
  const started = process.hrtime.bigint();
  const ms = () => Number((process.hrtime.bigint() - started) / 1_000_000n);
  const n = ++sent;
  return new Promise((resolve) => {
    // Through a proxy the request line carries the absolute URI (RFC 7230 absolute-form).
    const req = http.request(
      proxy
        ? {
            agent,
            host: proxy.hostname,
            port: Number(proxy.port || 80),
            method,
            path: target.href,
            headers: { host: target.host, ...(proxyAuth ? { 'proxy-authorization': proxyAuth } : {}) },
          }
        : { agent, host: target.hostname, port: Number(target.port || 80), method, path: `${target.pathname}${target.search}` },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`timeout after ${formatMs(timeoutMs)}`)));
    req.on('response', (res) => {
      let bytes = 0;
      let body = '';
      res.on('data', (d: Buffer) => {
        bytes += d.length;
        if (body.length < 1024) body += d.toString('utf8');
      });
      res.on('end', () => {
        const code = res.statusCode ?? 0;
        const good = code >= 200 && code < 400;
        if (good) ok++;
        else errors++;
        // A refusal from the proxy says why in its body: show it on the line.
        const reason = good ? '' : ` reason=${JSON.stringify(body.trim().split('\n')[0]!.slice(0, 300))}`;
        log(`#${n} ${method} ${target.href} status=${code} latency=${ms()}ms bytes=${bytes}${responder(body, res.headers)}${reason}`);
        resolve();
      });
      res.on('error', () => resolve());
    });
    req.on('error', (err) => {
      errors++;
      log(`#${n} ${method} ${target.href} error=${JSON.stringify(err.message)} latency=${ms()}ms`);
      resolve();
    });
    req.end();
  });
}

function summary(): void {
  process.stdout.write(`client: requests=${sent} ok=${ok} errors=${errors}\n`);
}

let stopping = false;
async function loop(): Promise<void> {
  log(`client: calling ${target.href} every ${formatMs(Math.round(intervalMs))}${proxy ? ` via proxy ${proxy.host}` : ''}`);
  let next = Date.now();
  while (!stopping && (count === 0 || sent < count)) {
    void once().then(() => {
      if (count > 0 && ok + errors >= count) {
        summary();
        process.exit(errors > 0 ? 1 : 0);
      }
    });
    next += intervalMs;
    await sleep(Math.max(0, next - Date.now()));
  }
}

process.on('SIGTERM', () => {
  stopping = true;
  summary();
  process.exit(0);
});
void loop();
