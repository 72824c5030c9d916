// The WebSocket port-forward protocol client libraries speak (@kubernetes/client-node, the Python
// client), as the kubelet serves it (pkg/kubelet/cri/streaming/portforward/websocket.go): the
// ports are in the query (`?ports=80&ports=8080` or `?ports=80,8080`); every binary message starts
// with its channel, and port i has channels 2i (data, both ways) and 2i+1 (error, from the server).
// The server's first message on each of those channels is the port as a uint16, little-endian.
// Each port is dialled once, when the WebSocket opens; the WebSocket closes when every port's
// connection has ended, or at once if the client closes it.

import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger } from '@kip/shared';
import { ApiError } from './errors.js';
import type { PortDialer } from './port-forward.js';

/** The subprotocols served, best first: binary channels, as the kubelet serves them. */
export const CHANNEL_PROTOCOLS = ['v4.channel.k8s.io', 'channel.k8s.io'] as const;

/** A slow client may have this much queued before the pod's side is paused. */
const HIGH_WATER = 1 << 20;

/** The ports of `?ports=`, each a number from 1 to 65535. Throws ApiError naming the bad one. */
export function parseChannelPorts(query: URLSearchParams): number[] {
  const values = query.getAll('ports');
  if (values.length === 0) throw new ApiError('BadRequest', 'query parameter "ports" is required');
  const ports: number[] = [];
  for (const value of values) {
    if (value === '') throw new ApiError('BadRequest', 'query parameter "ports" cannot be empty');
    for (const p of value.split(',')) {
      const n = Number(p);
      if (!/^\d+$/.test(p) || n < 1 || n > 65535) throw new ApiError('BadRequest', `unable to parse "${p}" as a port: want a number from 1 to 65535`);
      ports.push(n);
    }
  }
  return ports;
}

/** A message on a channel: the channel byte, then the payload. */
export function channelMessage(channel: number, payload: Uint8Array): Buffer {
  const b = Buffer.alloc(payload.length + 1);
  b[0] = channel;
  b.set(payload, 1);
  return b;
}

/** The first message of a port's channels: the port, uint16 little-endian. */
export function portPrefix(channel: number, port: number): Buffer {
  const b = Buffer.alloc(3);
  b[0] = channel;
  b.writeUInt16LE(port, 1);
  return b;
}

export class ChannelPortForward {
  private readonly wss = new WebSocketServer({
    noServer: true,
    handleProtocols: (offered) => CHANNEL_PROTOCOLS.find((p) => offered.has(p)) ?? false,
  });

  constructor(private readonly log: Logger) {}

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, ports: number[], dial: PortDialer): void {
    this.wss.handleUpgrade(req, socket, head, (ws) => this.serve(ws, ports, dial));
  }

  private serve(ws: WebSocket, ports: number[], dial: PortDialer): void {
    const upstreams: (Socket | undefined)[] = ports.map(() => undefined);
    // What the client sends before its port's connection is open waits here, in order.
    const early: Buffer[][] = ports.map(() => []);
    let open = ports.length;
    const portDone = () => {
      open -= 1;
      if (open === 0) ws.close(1000);
    };
    ws.on('close', () => {
      for (const u of upstreams) u?.destroy();
    });
    ws.on('error', (err) => this.log.debug('port-forward websocket failed', { error: err.message }));
    ws.on('message', (data: Buffer, isBinary) => {
      if (!isBinary || data.length === 0) return;
      const channel = data[0]!;
      // Only a data channel (even) carries bytes to the pod; the rest are ignored, as the kubelet does.
      if (channel % 2 !== 0 || channel / 2 >= ports.length) return;
      const upstream = upstreams[channel / 2];
      if (upstream) upstream.write(data.subarray(1));
      else early[channel / 2]!.push(Buffer.from(data.subarray(1)));
    });
    ports.forEach((port, i) => {
      ws.send(portPrefix(2 * i, port));
      ws.send(portPrefix(2 * i + 1, port));
      dial(String(port)).then(
        (upstream) => {
          if (ws.readyState !== ws.OPEN) return void upstream.destroy();
          upstreams[i] = upstream;
          for (const chunk of early[i]!.splice(0)) upstream.write(chunk);
          upstream.on('data', (chunk: Buffer) => {
            ws.send(channelMessage(2 * i, chunk), () => {
              if (upstream.isPaused() && ws.bufferedAmount < HIGH_WATER / 2) upstream.resume();
            });
            if (ws.bufferedAmount > HIGH_WATER) upstream.pause();
          });
          upstream.on('error', (err) => this.log.debug('port-forward upstream failed', { port, error: err.message }));
          // The pod closing its side ends the connection: there is no half-close in this protocol.
          upstream.on('end', () => upstream.end());
          upstream.on('close', portDone);
        },
        (err: unknown) => {
          if (ws.readyState === ws.OPEN) ws.send(channelMessage(2 * i + 1, Buffer.from(err instanceof Error ? err.message : String(err))));
          portDone();
        },
      );
    });
  }
}
