// kip's own port-forward protocol, which `kip port-forward` speaks: one WebSocket (no subprotocol)
// per forwarded connection, its binary messages the connection's raw bytes. The pod is dialled
// before the upgrade is accepted, so a refused port is an HTTP error the CLI can print.

import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { Logger } from '@kip/shared';
import { ApiError, rejectUpgrade } from './errors.js';

export class KipPortForward {
  private readonly wss = new WebSocketServer({ noServer: true });

  constructor(private readonly log: Logger) {}

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, dial: () => Promise<Socket>): void {
    dial().then(
      (upstream) => {
        this.wss.handleUpgrade(req, socket, head, (ws) => {
          const stream = createWebSocketStream(ws);
          const done = (err?: Error) => {
            if (err) this.log.debug('port-forward connection ended', { error: err.message });
            stream.destroy();
            upstream.destroy();
          };
          stream.on('error', done);
          upstream.on('error', done);
          upstream.on('close', () => stream.end());
          stream.on('close', () => upstream.end());
          stream.pipe(upstream);
          upstream.pipe(stream);
          upstream.resume();
        });
      },
      (err: unknown) => rejectUpgrade(socket, err instanceof ApiError ? err : new ApiError('ServiceUnavailable', String(err))),
    );
  }
}
