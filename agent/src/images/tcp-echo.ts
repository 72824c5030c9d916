// The tcp-echo image: raw TCP servers for measuring and testing the pod network. The echo port
// sends every byte back (half-close passed on); the optional sink port discards what it gets and,
// when the client half-closes, answers the byte count and closes, so a one-way bulk stream can be
// timed end to end. Ports: --listen (default $PORT_ECHO, else $PORT) and --sink (default $PORT_SINK).

import net from 'node:net';
import { flagsOrExit } from './flags.js';

const flags = flagsOrExit('tcp-echo', process.argv.slice(2), {
  listen: { kind: 'string', aliases: ['echo', 'port', 'p'] },
  sink: { kind: 'string' },
});

function fail(msg: string): never {
  process.stderr.write(`tcp-echo: ${msg}\n`);
  process.exit(2);
}

/** "8080", ":8080" or "127.0.0.1:8080" -> host and port; loopback by default, as everything in kip. */
function parseListen(flag: string, raw: string | undefined): { host: string; port: number } | undefined {
  if (raw === undefined || raw === '') return undefined;
  const m = /^(?:(.*):)?(\d+)$/.exec(raw);
  const port = m ? Number(m[2]) : NaN;
  if (!m || port > 65535) fail(`invalid value "${raw}" for flag -${flag}: must be [host:]port`);
  return { host: m[1] || '127.0.0.1', port };
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);
const echoAt = parseListen('listen', str(flags.values.listen) ?? process.env.PORT_ECHO ?? process.env.PORT);
const sinkAt = parseListen('sink', str(flags.values.sink) ?? process.env.PORT_SINK);
if (!echoAt && !sinkAt) fail('nothing to listen on: give --listen or --sink, or declare a container port (PORT)');

const servers: net.Server[] = [];
const sockets = new Set<net.Socket>();

function serve(kind: string, at: { host: string; port: number }, handle: (s: net.Socket) => void): void {
  const server = net.createServer({ allowHalfOpen: true, noDelay: true }, (s) => {
    sockets.add(s);
    s.on('error', () => undefined);
    s.once('close', () => sockets.delete(s));
    handle(s);
  });
  server.on('error', (err) => fail(`${kind} on ${at.host}:${at.port}: ${err.message}`));
  server.listen(at.port, at.host, () => {
    const addr = server.address() as net.AddressInfo;
    process.stdout.write(`tcp-echo: ${kind} listening on ${addr.address}:${addr.port}\n`);
  });
  servers.push(server);
}

if (echoAt) serve('echo', echoAt, (s) => s.pipe(s));
if (sinkAt) {
  serve('sink', sinkAt, (s) => {
    let n = 0;
    s.on('data', (d: Buffer) => (n += d.length));
    s.once('end', () => s.end(`${n}\n`));
  });
}

process.on('SIGTERM', () => {
  process.stdout.write('tcp-echo: SIGTERM received, shutting down\n');
  for (const srv of servers) srv.close();
  for (const s of sockets) s.destroy();
  process.exit(0);
});
