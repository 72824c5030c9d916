// The http-echo image: an HTTP server on $PORT. Flags follow hashicorp/http-echo (-listen=:5678,
// -text=hello, -status-code=200). Given -text, it answers as hashicorp/http-echo does, with that
// text and a newline as text/plain, so manifests written for the real image (the Ingress and
// Service examples that curl for "apple") get what they expect. Without -text it answers with a
// small JSON body naming the pod that served it, so that load balancing and failover can be seen
// from a client. Either way the x-kip-pod and x-kip-node headers name the pod and its node.

import http from 'node:http';
import { flagsOrExit } from './flags.js';

const flags = flagsOrExit('http-echo', process.argv.slice(2), {
  listen: { kind: 'string' },
  port: { kind: 'int', aliases: ['p'] },
  text: { kind: 'string' },
  'status-code': { kind: 'int' },
});

// Pods are reached through the agent on loopback, so loopback is the default, as for everything in kip.
let host = '127.0.0.1';

function listenPort(): number {
  if (typeof flags.values.port === 'number') return flags.values.port;
  const listen = flags.values.listen;
  if (typeof listen === 'string') {
    const m = /^(.*):(\d+)$/.exec(listen) ?? /^()(\d+)$/.exec(listen);
    if (!m) {
      process.stderr.write(`http-echo: invalid value "${listen}" for flag -listen: must be [host]:port\n`);
      process.exit(2);
    }
    if (m[1]) host = m[1].replace(/^\[|\]$/g, '');
    // A declared containerPort of that number is backed by a host port of its own: listen there,
    // so that replicas on one node do not all want 5678.
    const declared = process.env[`KIP_HOST_PORT_${m[2]}`];
    if (declared && (!m[1] || m[1] === '0.0.0.0' || m[1] === '127.0.0.1')) {
      host = '127.0.0.1';
      return Number(declared);
    }
    return Number(m[2]);
  }
  if (process.env.PORT) return Number(process.env.PORT);
  // The image's own port (EXPOSE 5678), behind a host port of its own like a declared one.
  const exposed = process.env.KIP_HOST_PORT_5678;
  return exposed ? Number(exposed) : 5678;
}

const port = listenPort();
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  process.stderr.write(`http-echo: invalid port ${port}\n`);
  process.exit(2);
}
const statusCode = typeof flags.values['status-code'] === 'number' ? flags.values['status-code'] : 200;
const identity = {
  pod: process.env.POD_NAME ?? '',
  namespace: process.env.POD_NAMESPACE ?? '',
  node: process.env.NODE_NAME ?? '',
  podIP: process.env.POD_IP ?? '',
};

const server = http.createServer((req, res) => {
  const started = Date.now();
  const path = req.url ?? '/';
  let code = statusCode;
  let payload: string;
  let contentType = 'application/json';
  if (path === '/health' || path === '/healthz') {
    code = 200;
    payload = JSON.stringify({ status: 'ok', ...identity });
  } else if (typeof flags.values.text === 'string') {
    payload = flags.values.text;
    contentType = 'text/plain; charset=utf-8';
  } else {
    payload = JSON.stringify({ ...identity, method: req.method, path, host: req.headers.host ?? '' });
  }
  payload += '\n';
  // The answer goes once the request's body is read (and dropped): answering mid-upload lets the
  // connection close under a client still sending, which it sees as a reset, not as the answer.
  req.resume();
  req.on('end', () => {
    res.writeHead(code, { 'content-type': contentType, 'content-length': Buffer.byteLength(payload), 'x-kip-pod': identity.pod, 'x-kip-node': identity.node });
    res.end(payload);
  });
  // One line per request, like hashicorp/http-echo, so `kip logs` shows the traffic.
  process.stdout.write(
    `${new Date().toISOString()} ${req.socket.remoteAddress ?? '-'} "${req.method} ${path} HTTP/${req.httpVersion}" ${code} ${Date.now() - started}ms\n`,
  );
});

server.on('error', (err) => {
  process.stderr.write(`http-echo: ${err.message}\n`);
  process.exit(1);
});

server.listen(port, host, () => {
  const addr = server.address();
  process.stdout.write(`http-echo: listening on :${typeof addr === 'object' && addr ? addr.port : port} as pod ${identity.namespace}/${identity.pod}\n`);
});

function stop(signal: string): void {
  process.stdout.write(`http-echo: ${signal} received, shutting down\n`);
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  // Requests in flight get a moment to finish; then the connections are cut.
  setTimeout(() => {
    server.closeAllConnections();
    process.exit(0);
  }, 2000).unref();
}
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
