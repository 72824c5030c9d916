// The dialling side of a tunnel: connect to an agent's tunnel listener, send a signed hello for the
// target, and wait for the status. The socket handed back is past the handshake, paused, with Nagle
// off and half-close allowed, ready to be piped.

import net from 'node:net';
import { TunnelError } from './errors.js';
import { MAX_STATUS_BYTES, decodeStatus, encodeHello, readFrame } from './frames.js';
import { signHello } from './proof.js';
import { connectSecure, TLS_SCHEME } from './secure.js';

export const DEFAULT_TUNNEL_TIMEOUT_MS = 5000;
/** Socket buffer size: large enough that a bulk stream rarely stalls on it, small enough to bound memory. */
const TUNNEL_HIGH_WATER_MARK = 256 * 1024;

export interface DialTunnelOptions {
  /** for the whole handshake: connect, hello, status (default 5 s) */
  timeoutMs?: number;
  /** who is dialling (a node name, "controlplane"): the acceptor counts the connection on that link */
  from?: string;
  /** Run the tunnel inside TLS keyed by the token (secure.ts); default: as the endpoint says (tls://). */
  secure?: boolean;
}

/**
 * Splits "host:port", "[v6]:port" or either behind "tls://" (a listener that takes only TLS, as
 * an agent reachable from other hosts advertises itself); throws a ProtocolError naming the
 * endpoint when it is not one.
 */
export function parseEndpoint(endpoint: string): { host: string; port: number; secure: boolean } {
  const secure = endpoint.startsWith(TLS_SCHEME);
  const rest = secure ? endpoint.slice(TLS_SCHEME.length) : endpoint;
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(rest) ?? /^([^:]+):(\d+)$/.exec(rest);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !Number.isInteger(port) || port < 1 || port > 65535) throw new TunnelError('ProtocolError', `tunnel endpoint "${endpoint}" is not host:port`);
  return { host: m[1]!, port, secure };
}

/**
 * Opens a tunnel to `target` through the agent at `endpoint`. Resolves once the far agent has
 * connected to the pod; rejects with a TunnelError whose code says why not.
 */
export function dialTunnel(endpoint: string, token: string, target: { podIP: string; port: number }, opts: DialTunnelOptions = {}): Promise<net.Socket> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TUNNEL_TIMEOUT_MS;
  let hello: Buffer;
  let where: { host: string; port: number; secure: boolean };
  try {
    where = parseEndpoint(endpoint);
    const h = signHello(token, target, opts.from ?? '');
    hello = encodeHello(h.signed, h.mac);
  } catch (err) {
    return Promise.reject(err);
  }
  const started = Date.now();
  return new Promise<net.Socket>((resolve, reject) => {
    // net.Socket honours highWaterMark (it hands its options to Duplex); the typings omit it.
    const socketOptions = { host: where.host, port: where.port, allowHalfOpen: true, noDelay: true, highWaterMark: TUNNEL_HIGH_WATER_MARK };
    const secure = opts.secure ?? where.secure;
    const socket: net.Socket = secure ? connectSecure(where.host, where.port, token, socketOptions) : net.connect(socketOptions as net.NetConnectOpts);
    let settled = false;
    const fail = (err: TunnelError) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      reject(err);
    };
    const timer = setTimeout(
      () => fail(new TunnelError('Timeout', `tunnel to ${endpoint} for ${target.podIP}:${target.port}: no answer within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onConnectError = (err: NodeJS.ErrnoException) => fail(new TunnelError('Unreachable', `tunnel to ${endpoint}: ${err.message}`));
    socket.once('error', onConnectError);
    socket.once(secure ? 'secureConnect' : 'connect', () => {
      socket.off('error', onConnectError);
      socket.write(hello);
      const left = Math.max(1, timeoutMs - (Date.now() - started));
      readFrame(socket, MAX_STATUS_BYTES, left, 'tunnel status')
        .then((body) => {
          const st = decodeStatus(body);
          if (st.status !== 'Ok') {
            fail(new TunnelError(st.status, `tunnel to ${target.podIP}:${target.port} via ${endpoint}: ${st.reason || st.status}`));
            return;
          }
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          // Until the caller attaches its own handler, an error only closes the socket.
          socket.on('error', () => undefined);
          resolve(socket);
        })
        .catch((err: unknown) => {
          const e = err instanceof TunnelError ? err : new TunnelError('ProtocolError', String(err));
          fail(new TunnelError(e.code, `tunnel to ${endpoint}: ${e.message}`));
        });
    });
  });
}
