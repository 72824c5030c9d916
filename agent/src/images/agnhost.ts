// The agnhost image (registry.k8s.io/e2e-test-images/agnhost) and its ancestors: `agnhost
// <subcommand> [flags]` with the subcommands the Kubernetes docs use, answering as agnhost does:
//   liveness        /healthz 200 for the first 10 s, then 500 ("error: <seconds>"); port 8080
//   netexec         --http-port=8080: / (NOW: time), /hostname, /echo?msg=, /clientip, /shell?cmd=,
//                   /exit?code=, /healthz
//   serve-hostname  its hostname (the pod name) over HTTP on --port=9376
//   pause           waits for a signal
//   test-webserver  serves files from / on --port=80
//   goproxy         (the goproxy image) a forward HTTP proxy on 8080
//   echoserver      (the echoserver image) the request described back, on 8080
// A port a subcommand listens on is the host port behind the container's declared port of that
// number (KIP_HOST_PORT_<n>), else that very port on 127.0.0.1 (where a probe dials an undeclared port).

import { exec } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { FlagError, parseFlags, type FlagSpec, type ParsedFlags } from './flags.js';

const pad = (n: number) => String(n).padStart(2, '0');
/** Go's log package: "2026/12/02 09:55:01 message". */
function log(msg: string): void {
  const d = new Date();
  process.stderr.write(
    `${d.getFullYear()}/${pad(d.getMonth() + 1)}/${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())} ${msg}\n`,
  );
}

function fatal(msg: string): never {
  log(msg);
  process.exit(1);
}

function flagsOf(sub: string, argv: string[], specs: Record<string, FlagSpec>): ParsedFlags {
  try {
    return parseFlags(argv, specs);
  } catch (err) {
    if (err instanceof FlagError) {
      process.stderr.write(`Error: ${err.message.replace(/^flag provided but not defined: -/, 'unknown flag: --')}\nRun 'agnhost ${sub} --help' for usage.\n`);
      process.exit(1);
    }
    throw err;
  }
}

function hostPortFor(port: number): number {
  const declared = process.env[`KIP_HOST_PORT_${port}`];
  return declared ? Number(declared) : port;
}

function hostname(): string {
  return process.env.HOSTNAME || os.hostname();
}

function listen(server: net.Server, port: number, started: string): void {
  server.on('error', (err) => fatal(`listen tcp :${port}: ${err.message}`));
  server.listen(hostPortFor(port), '127.0.0.1', () => log(started));
}

function onSignals(done: (signal: NodeJS.Signals) => void): void {
  for (const s of ['SIGTERM', 'SIGINT'] as const) process.on(s, () => done(s));
}

function text(res: http.ServerResponse, status: number, body: string, type = 'text/plain; charset=utf-8'): void {
  res.writeHead(status, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function liveness(): void {
  const started = Date.now();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const seconds = (Date.now() - started) / 1000;
    if (url.pathname === '/healthz') {
      if (seconds > 10) text(res, 500, `error: ${seconds}`);
      else text(res, 200, 'ok');
    } else if (url.pathname === '/started') text(res, 200, `${seconds}s`);
    else if (url.pathname === '/redirect') {
      res.writeHead(302, { location: url.searchParams.get('loc') ?? '/' });
      res.end();
    } else text(res, 404, '404 page not found\n');
  });
  listen(server, 8080, 'Started HTTP server on port 8080');
  onSignals(() => process.exit(0));
}

function netexec(argv: string[]): void {
  const flags = flagsOf('netexec', argv, {
    'http-port': { kind: 'int' },
    'udp-port': { kind: 'int' },
    'sctp-port': { kind: 'int' },
    'tls-cert-file': { kind: 'string' },
    'tls-private-key-file': { kind: 'string' },
    'http-override': { kind: 'string' },
    'udp-listen-addresses': { kind: 'string' },
    'delay-shutdown': { kind: 'int' },
  });
  const port = typeof flags.values['http-port'] === 'number' ? flags.values['http-port'] : 8080;
  const override = typeof flags.values['http-override'] === 'string' ? flags.values['http-override'] : '';
  const server = http.createServer((req, res) => {
    const url = new URL(override || req.url || '/', 'http://x');
    const q = (k: string) => url.searchParams.get(k) ?? '';
    switch (url.pathname) {
      case '/clientip':
        log('GET /clientip');
        return text(res, 200, `${req.socket.remoteAddress?.replace(/^::ffff:/, '')}:${req.socket.remotePort}`);
      case '/echo': {
        const code = q('code');
        log(`GET /echo?msg=${q('msg')}&code=${code}`);
        if (code && !/^\d+$/.test(code)) return text(res, 200, `argument 'code' must be an integer or empty, got "${code}"\n`);
        return text(res, code ? Number(code) : 200, q('msg'));
      }
      case '/exit': {
        const code = q('code');
        log(`GET /exit?code=${code}&timeout=${q('timeout')}&wait=${q('wait')}`);
        if (code && !/^\d+$/.test(code)) return text(res, 200, `argument 'code' must be an integer [0-127] or empty, got "${code}"\n`);
        res.end();
        server.close();
        setTimeout(() => process.exit(Number(code || 0)), 10);
        return;
      }
      case '/shutdown':
        log('GET /shutdown');
        return process.exit(0);
      case '/healthz':
        log('GET /healthz');
        return text(res, 200, '');
      case '/hostname':
      case '/hostName':
        log(`GET ${url.pathname}`);
        return text(res, 200, hostname());
      case '/redirect': {
        const code = Number(q('code') || 303);
        res.writeHead(code, { location: q('location') });
        res.end();
        return;
      }
      case '/shell': {
        const cmd = q('shellCommand') || q('cmd');
        log(`GET /shell?cmd=${cmd}`);
        exec(cmd, { shell: '/bin/sh', maxBuffer: 16 << 20 }, (err, stdout, stderr) => {
          const output: Record<string, string> = {};
          if (stdout || stderr) output.output = stdout + stderr;
          if (err) output.error = err.code !== undefined ? `exit status ${err.code}` : err.message;
          log(`Output: ${JSON.stringify(output)}`);
          text(res, 200, JSON.stringify(output), 'text/plain; charset=utf-8');
        });
        return;
      }
      case '/':
        log('GET /');
        return text(res, 200, `NOW: ${new Date().toISOString()}`);
      default:
        return text(res, 404, '404 page not found\n');
    }
  });
  listen(server, port, `Started HTTP server on port ${port}`);
  onSignals(() => process.exit(0));
}

function serveHostname(argv: string[]): void {
  const flags = flagsOf('serve-hostname', argv, {
    tcp: { kind: 'bool' },
    udp: { kind: 'bool' },
    http: { kind: 'bool' },
    close: { kind: 'bool' },
    port: { kind: 'int' },
  });
  const port = typeof flags.values.port === 'number' ? flags.values.port : 9376;
  const name = hostname();
  if (flags.values.tcp === true) {
    if (flags.values.http === true) fatal("Can't mix HTTP and TCP or UDP");
    const server = net.createServer((s) => {
      s.on('error', () => undefined);
      s.end(name);
    });
    listen(server, port, `Serving on port ${port}.`);
  } else {
    const server = http.createServer((req, res) => {
      log(`GET ${req.url}`);
      if (flags.values.close === true) res.setHeader('connection', 'close');
      text(res, 200, name);
    });
    listen(server, port, `Serving on port ${port}.`);
  }
  onSignals((s) => {
    log(`Shutting down after receiving signal: ${s === 'SIGINT' ? 'interrupt' : 'terminated'}.`);
    log('Awaiting pod deletion.');
    process.exit(0);
  });
}

function pause(): void {
  process.stdout.write('Paused\n');
  const keepAlive = setInterval(() => undefined, 1 << 30);
  onSignals((s) => {
    clearInterval(keepAlive);
    process.stdout.write(`Shutting down after receiving signal: ${s === 'SIGINT' ? 'interrupt' : 'terminated'}.\n`, () => process.exit(0));
  });
}

function testWebserver(argv: string[]): void {
  const flags = flagsOf('test-webserver', argv, { port: { kind: 'int' } });
  const port = typeof flags.values.port === 'number' ? flags.values.port : 80;
  const server = http.createServer((req, res) => {
    const file = path.posix.normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname));
    fs.readFile(file, (err, data) => {
      if (err) {
        if (err.code === 'EISDIR') {
          const entries = fs.readdirSync(file).map((n) => `<a href="${encodeURIComponent(n)}">${n}</a>`);
          text(res, 200, `<pre>\n${entries.join('\n')}\n</pre>\n`, 'text/html; charset=utf-8');
        } else text(res, 404, '404 page not found\n');
        return;
      }
      res.writeHead(200, { 'content-length': data.length });
      res.end(data);
    });
  });
  listen(server, port, `Serving on port ${port}`);
  onSignals(() => process.exit(0));
}

/** The goproxy image: a forward proxy for absolute-URI requests and CONNECT tunnels. */
function goproxy(): void {
  const server = http.createServer((req, res) => {
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      text(res, 500, 'This is a proxy server. Does not respond to non-proxy requests.\n');
      return;
    }
    const upstream = http.request(
      { host: target.hostname, port: Number(target.port || 80), method: req.method, path: `${target.pathname}${target.search}`, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', (err) => text(res, 502, `${err.message}\n`));
    req.pipe(upstream);
  });
  server.on('connect', (req, socket, head) => {
    const [h, p] = (req.url ?? '').split(':');
    const up = net.connect(Number(p || 443), h ?? '', () => {
      socket.write('HTTP/1.1 200 OK\r\n\r\n');
      up.write(head);
      up.pipe(socket);
      socket.pipe(up);
    });
    up.on('error', () => socket.destroy());
    socket.on('error', () => up.destroy());
  });
  listen(server, 8080, 'Serving proxy on :8080');
  onSignals(() => process.exit(0));
}

/** The echoserver image (registry.k8s.io/echoserver): the request described back, on 8080. */
function echoserver(): void {
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const headers = Object.entries(req.headers)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join('\n');
      text(
        res,
        200,
        `\n\nHostname: ${hostname()}\n\nPod Information:\n\t-no pod information available-\n\nServer values:\n\tserver_version=nginx: 1.13.3 - lua: 10008\n\n` +
          `Request Information:\n\tclient_address=${req.socket.remoteAddress?.replace(/^::ffff:/, '')}\n\tmethod=${req.method}\n\treal path=${url.pathname}\n\tquery=${url.search.slice(1)}\n\trequest_version=${req.httpVersion}\n\trequest_scheme=http\n\trequest_uri=http://${req.headers.host ?? ''}${req.url}\n\n` +
          `Request Headers:\n${headers.replace(/^/gm, '\t')}\n\nRequest Body:\n${body ? `\t${body}` : '\t-no body in request-'}\n\n`,
      );
    });
  });
  listen(server, 8080, 'echoserver: serving on port 8080');
  onSignals(() => process.exit(0));
}

const SUBCOMMANDS: Record<string, (argv: string[]) => void> = {
  liveness,
  netexec,
  'serve-hostname': serveHostname,
  pause,
  'test-webserver': testWebserver,
  goproxy,
  echoserver,
};

const [sub, ...rest] = process.argv.slice(2);
if (!sub || sub === '--help' || sub === '-h' || sub === 'help') {
  process.stdout.write(
    `agnhost (kip): a stand-in for the Kubernetes test image\n\nUsage:\n  agnhost [command]\n\nAvailable Commands:\n  ${Object.keys(SUBCOMMANDS).join('\n  ')}\n`,
  );
  process.exit(0);
}
const run = SUBCOMMANDS[sub];
if (!run) {
  process.stderr.write(`Error: unknown command "${sub}" for "agnhost"\nRun 'agnhost --help' for usage.\n`);
  process.exit(1);
}
run(rest);
