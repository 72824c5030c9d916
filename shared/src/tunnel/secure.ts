// Tunnels between agents on different hosts run inside TLS, keyed by the join token both ends
// already hold (TLS with a pre-shared key): the bytes of pod traffic are encrypted, and a peer
// without the token cannot even finish the handshake. No certificates are needed. On one host a
// tunnel never leaves loopback and stays plain TCP (encryption there would only cost the data
// plane). A listener that takes TLS advertises itself as tls://host:port and refuses plain
// hellos; one on loopback takes both, telling them apart by the first byte: a TLS handshake
// starts with 0x16, a plain tunnel hello with the protocol's magic.

import { createHmac } from 'node:crypto';
import type net from 'node:net';
import tls from 'node:tls';
import { TunnelError } from './errors.js';

const PSK_IDENTITY = 'kip-tunnel';
/** TLS 1.2 is where Node offers external pre-shared keys. */
export const TUNNEL_TLS_OPTIONS = { ciphers: 'PSK-AES256-GCM-SHA384', minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' } as const;
const TLS_HANDSHAKE = 0x16;

/** The pre-shared key: derived from the join token, never the token itself. */
export function tunnelKey(token: string): Buffer {
  return createHmac('sha256', token).update('kip tunnel tls psk').digest();
}

/** How an endpoint that takes only TLS is advertised. */
export const TLS_SCHEME = 'tls://';

export function isLoopbackHost(host: string): boolean {
  return host === 'localhost' || host === '::1' || host.startsWith('127.');
}

/** The dialling side's TLS socket to host:port; ready on 'secureConnect'. */
export function connectSecure(host: string, port: number, token: string, opts: net.TcpSocketConnectOpts & { highWaterMark?: number }): tls.TLSSocket {
  const key = tunnelKey(token);
  return tls.connect({
    ...opts,
    host,
    port,
    ...TUNNEL_TLS_OPTIONS,
    pskCallback: () => ({ psk: key, identity: PSK_IDENTITY }),
    // The key is the identity: there is no certificate to check.
    checkServerIdentity: () => undefined,
  });
}

/**
 * The listener's side: a TLS socket over the connection when the peer opens with a TLS
 * handshake, or the socket as it is for a plain tunnel unless `requireTls`. Rejects when nothing
 * arrives within `timeoutMs`, or a plain hello comes where only TLS is taken.
 */
export function acceptSecureOrPlain(socket: net.Socket, token: string, timeoutMs: number, requireTls = false): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => done(new TunnelError('Timeout', `no tunnel hello within ${timeoutMs} ms`)), timeoutMs);
    const done = (err?: Error, s?: net.Socket) => {
      clearTimeout(timer);
      socket.off('readable', onReadable);
      socket.off('close', onClose);
      if (err) reject(err);
      else resolve(s!);
    };
    const onClose = () => done(new TunnelError('ProtocolError', 'closed before its hello'));
    const onReadable = () => {
      const first = socket.read(1) as Buffer | null;
      if (!first) return;
      socket.unshift(first);
      if (first[0] !== TLS_HANDSHAKE) return requireTls ? done(new TunnelError('Refused', 'this tunnel listener takes only TLS')) : done(undefined, socket);
      const key = tunnelKey(token);
      // Node's TLSSocket takes a server's pskCallback as tls.createServer does; its typings leave it out.
      const options = {
        isServer: true,
        // Each direction ends on its own (a request's end, then its answer): the TLS socket must
        // not end its writing side when the peer's close_notify ends its reading side.
        allowHalfOpen: true,
        ...TUNNEL_TLS_OPTIONS,
        pskCallback: (_s: tls.TLSSocket, identity: string) => (identity === PSK_IDENTITY ? key : null),
      };
      const secure = new tls.TLSSocket(socket, options as tls.TLSSocketOptions);
      done(undefined, secure);
    };
    socket.on('readable', onReadable);
    socket.once('close', onClose);
  });
}
