// The portforward.k8s.io protocol kubectl speaks, as the kubelet serves it
// (pkg/kubelet/cri/streaming/portforward/httpstream.go): over one SPDY session, each forwarded
// connection is a pair of streams with headers `streamtype` (error or data), `port` and
// `requestid`. The data stream carries the connection's bytes both ways; when the pod's port
// cannot be reached, the reason is written as text on the error stream (kubectl prints it) and
// both streams end. The session comes either from `Upgrade: SPDY/3.1` on the HTTP connection or
// tunnelled in a WebSocket whose subprotocol is `SPDY/3.1+portforward.k8s.io` (kubectl 1.31+).

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, createWebSocketStream } from 'ws';
import type { Logger } from '@kip/shared';
import type { PortDialer } from './port-forward.js';
import { SpdySession, type SpdyStream } from './spdy/session.js';

export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io';
/** kubectl's WebSocket tunnel prefixes the SPDY subprotocol it wants to this one. */
export const SPDY_TUNNEL_PROTOCOL = `SPDY/3.1+${PORT_FORWARD_PROTOCOL}`;

/** How long the first stream of a pair waits for the other, as the kubelet's stream creation timeout. */
export const STREAM_PAIR_TIMEOUT_MS = 30_000;

interface StreamPair {
  data?: SpdyStream;
  error?: SpdyStream;
  timer: NodeJS.Timeout;
}

/** The request a stream belongs to: its `requestid`, or, from clients that send none, derived from its id as the kubelet does. */
export function streamRequestId(type: string, streamId: number, requestId: string | undefined): string {
  if (requestId !== undefined) return requestId;
  return String(type === 'data' ? streamId - 2 : streamId);
}

/** Checks a stream's headers; the reason is what the stream is refused for. */
export function checkStreamHeaders(type: string | undefined, port: string | undefined): { type: 'data' | 'error'; port: number } {
  if (type !== 'data' && type !== 'error') throw new Error(`invalid stream type "${type ?? ''}": want data or error`);
  const n = Number(port);
  if (!port || !/^\d+$/.test(port) || n < 1 || n > 65535) throw new Error(`invalid port header "${port ?? ''}": want a port from 1 to 65535`);
  return { type, port: n };
}

export class SpdyPortForward {
  // The ws library refuses `SPDY/3.1+portforward.k8s.io` as a subprotocol (a '/' is not allowed in
  // an RFC 7230 token), so the header is taken off the request and the answer is added here.
  private readonly wss = new WebSocketServer({ noServer: true }).on('headers', (headers) => headers.push(`Sec-WebSocket-Protocol: ${SPDY_TUNNEL_PROTOCOL}`));

  constructor(private readonly log: Logger) {}

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, transport: 'upgrade' | 'websocket', dial: PortDialer): void {
    if (transport === 'websocket') {
      delete req.headers['sec-websocket-protocol'];
      this.wss.handleUpgrade(req, socket, head, (ws) => this.serve(createWebSocketStream(ws), dial));
      return;
    }
    socket.write(
      'HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n' + `X-Stream-Protocol-Version: ${PORT_FORWARD_PROTOCOL}\r\n\r\n`,
    );
    if (head.length > 0) socket.unshift(head);
    this.serve(socket, dial);
  }

  private serve(transport: Duplex, dial: PortDialer): void {
    const pairs = new Map<string, StreamPair>();
    // The session lives as long as its transport, which holds it through its listeners.
    new SpdySession(transport, {
      onStream: (stream) => {
        const { type, port } = checkStreamHeaders(stream.header('streamtype'), stream.header('port'));
        const id = streamRequestId(type, stream.id, stream.header('requestid'));
        let pair = pairs.get(id);
        if (!pair) {
          pair = { timer: setTimeout(() => this.abandon(pairs, id), STREAM_PAIR_TIMEOUT_MS) };
          pairs.set(id, pair);
        }
        if (pair[type]) throw new Error(`request ${id} already has a ${type} stream`);
        pair[type] = stream;
        if (pair.data && pair.error) {
          clearTimeout(pair.timer);
          pairs.delete(id);
          // After SYN_REPLY: the session replies once onStream returns.
          const { data, error } = pair;
          setImmediate(() => this.forward(data, error, port, dial));
        }
      },
      onClose: (err) => {
        if (err) this.log.debug('port-forward session ended', { error: err.message });
        for (const [id, pair] of pairs) {
          clearTimeout(pair.timer);
          pairs.delete(id);
        }
      },
    });
  }

  /** A pair whose other half never came: say so on the error stream, as the kubelet does. */
  private abandon(pairs: Map<string, StreamPair>, id: string): void {
    const pair = pairs.get(id);
    if (!pair) return;
    pairs.delete(id);
    pair.error?.end(`timed out waiting for the data stream of request ${id}`);
    pair.data?.reset();
  }

  private forward(data: SpdyStream, error: SpdyStream, port: number, dial: PortDialer): void {
    if (data.destroyed || error.destroyed) return;
    // The client never writes on the error stream; reading it lets its end (FIN) arrive.
    error.resume();
    error.on('error', () => {});
    dial(String(port)).then(
      (upstream) => {
        if (data.destroyed) return void upstream.destroy();
        const finish = () => {
          upstream.destroy();
          if (!error.writableEnded && !error.destroyed) error.end();
        };
        upstream.on('error', (err) => this.log.debug('port-forward upstream failed', { port, error: err.message }));
        data.on('error', () => {});
        upstream.on('close', () => {
          if (!data.writableEnded && !data.destroyed) data.end();
          finish();
        });
        // kubectl resets the data stream once it has read the pod's side to its end.
        data.on('close', finish);
        data.pipe(upstream);
        upstream.pipe(data);
      },
      (err: unknown) => {
        const message = err instanceof Error ? err.message : String(err);
        this.log.debug('port-forward dial failed', { port, error: message });
        error.end(message);
        if (!data.destroyed) data.end();
      },
    );
  }
}
