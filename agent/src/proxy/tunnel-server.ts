// This agent's tunnel listener: other agents (and the control plane, for port-forward) connect
// here to reach a pod on this node. Each connection must open with a hello whose proof of the
// cluster token holds; then the pod's host port is dialled, the dialler is told ok or why not, and
// the two sockets are spliced by the link to the dialling node.

import net from 'node:net';
import { acceptSecureOrPlain, TLS_SCHEME, TunnelAcceptor, type TunnelError, encodeStatus, isDNS1123Subdomain, type Logger } from '@kip/shared';

/** How long a connection may take to show whether it speaks TLS, when no hello timeout is set. */
const DEFAULT_HELLO_TIMEOUT_MS = 5000;
import { connectLocal, localRefusal, type LocalPortLookup } from './dialer.js';
import { SOCKET_HIGH_WATER_MARK, UNKNOWN_PEER, type Links } from './link.js';

export interface TunnelServerOptions {
  nodeName: string;
  token: string;
  /** where the pods' host ports are (this host) */
  host: string;
  /** where the listener binds and what it advertises (default: host); another host's agents dial it */
  listenHost?: string;
  /** take only TLS (keyed by the token): set when other hosts can reach the listener */
  requireTls?: boolean;
  links: Links;
  localPort: LocalPortLookup;
  log: Logger;
  dialTimeoutMs?: number;
  /** how long a connection may take to send its hello */
  helloTimeoutMs?: number;
}

export class TunnelServer {
  private readonly server: net.Server;
  private readonly acceptor: TunnelAcceptor;
  /** connections still in their handshake, to close on stop */
  private readonly pending = new Set<net.Socket>();
  private port = 0;

  constructor(private readonly opts: TunnelServerOptions) {
    this.acceptor = new TunnelAcceptor({ token: opts.token, helloTimeoutMs: opts.helloTimeoutMs });
    this.server = net.createServer({ allowHalfOpen: true, noDelay: true, highWaterMark: SOCKET_HIGH_WATER_MARK }, (s) => void this.handle(s));
  }

  listen(port = 0): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen({ port, host: this.opts.listenHost ?? this.opts.host }, () => {
        this.server.off('error', reject);
        this.server.on('error', (err) => this.opts.log.error('tunnel listener failed', { error: err.message }));
        this.port = (this.server.address() as net.AddressInfo).port;
        resolve();
      });
    });
  }

  /** "host:port" other agents dial, or "tls://host:port" when it takes only TLS. */
  endpoint(): string {
    return `${this.opts.requireTls ? TLS_SCHEME : ''}${this.opts.listenHost ?? this.opts.host}:${this.port}`;
  }

  close(): Promise<void> {
    for (const s of this.pending) s.destroy();
    this.pending.clear();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(raw: net.Socket): Promise<void> {
    const { log, links, nodeName } = this.opts;
    this.pending.add(raw);
    raw.on('error', () => undefined);
    let tunnel = raw;
    try {
      try {
        // A peer on another host speaks TLS keyed by the join token (secure.ts); one on this host, plain TCP.
        tunnel = await acceptSecureOrPlain(raw, this.opts.token, this.opts.helloTimeoutMs ?? DEFAULT_HELLO_TIMEOUT_MS, this.opts.requireTls);
      } catch (err) {
        log.warn('tunnel connection dropped before its hello', { remote: `${raw.remoteAddress}:${raw.remotePort}`, reason: (err as Error).message });
        raw.destroy();
        return;
      }
      tunnel.on('error', () => undefined);
      let target: Awaited<ReturnType<TunnelAcceptor['accept']>>;
      try {
        target = await this.acceptor.accept(tunnel);
      } catch (err) {
        // A dialler that cannot prove the token is closed at once; say so, for whoever is debugging.
        log.warn('tunnel connection refused', { remote: `${tunnel.remoteAddress}:${tunnel.remotePort}`, reason: (err as Error).message });
        return;
      }
      // The dialler names itself; a name no node could have is counted as unknown.
      const peer = isDNS1123Subdomain(target.from) ? target.from : UNKNOWN_PEER;
      const where = `${target.podIP}:${target.port}`;
      const link = links.get(peer);
      const info = { peer, inbound: true, target: where };
      try {
        link.admit(info);
      } catch (err) {
        this.acceptor.refuse(tunnel, 'Refused', (err as Error).message);
        return;
      }
      const found = this.opts.localPort(target.podIP, target.port);
      const refusal = localRefusal(nodeName, target.podIP, target.port, found);
      if (refusal) {
        link.failed();
        this.acceptor.refuse(tunnel, 'Refused', refusal);
        return;
      }
      let pod: net.Socket;
      try {
        pod = await connectLocal(this.opts.host, found.hostPort!, this.opts.dialTimeoutMs ?? 5000, `pod ${where}`);
      } catch (err) {
        link.failed();
        const e = err as TunnelError;
        this.acceptor.refuse(tunnel, e.code ?? 'Unreachable', e.message);
        return;
      }
      if (tunnel.destroyed) {
        // The dialler gave up while we were connecting.
        pod.destroy();
        return;
      }
      // The ok goes out first on the tunnel, then the pod's bytes.
      link.splice(pod, tunnel, info, { toFar: encodeStatus('Ok') });
    } finally {
      this.pending.delete(raw);
    }
  }
}
