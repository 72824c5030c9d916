// `kubectl exec` as kubectl 1.30+ speaks it first: a WebSocket upgrade of
// `GET .../pods/NAME/exec?command=...&container=...&stdin=&stdout=&stderr=&tty=` with the
// v5.channel.k8s.io subprotocol (v4 also accepted). Each binary message starts with its channel:
// 0 stdin, 1 stdout, 2 stderr, 3 the final Status (JSON), 4 terminal resize; in v5 a message
// [255, n] closes channel n, which is how a client ends its stdin. The command itself runs on the
// pod's node: the control plane relays the streams over the agent's session (execStart, execInput,
// execOutput, execExit), as the API server relays to the kubelet's streaming server.
// `kubectl attach` (`.../pods/NAME/attach?container=&stdin=&tty=`) speaks the same protocol but
// joins the container's own streams: no command, and leaving does not stop the container.

import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { Logger, Pod, Status } from '@kip/shared';

/** A Status as the exec stream carries it: success has no message, reason or code. */
export type ExecStatus = Omit<Status, 'message' | 'reason' | 'code'> & Partial<Pick<Status, 'message' | 'reason' | 'code'>>;
import type { Store } from '../store/store.js';
import { ApiError, notFound, rejectUpgrade } from './errors.js';
import type { ResourceRoute } from './routes.js';

/** The subprotocols served, best first. */
export const EXEC_PROTOCOLS = ['v5.channel.k8s.io', 'v4.channel.k8s.io'] as const;

export const ExecChannel = { Stdin: 0, Stdout: 1, Stderr: 2, Error: 3, Resize: 4, Close: 255 } as const;

export interface ExecOptions {
  namespace: string;
  pod: string;
  container: string;
  command: string[];
  stdin: boolean;
  tty: boolean;
  /** An attach to the container's own streams; command is then empty. */
  attach?: boolean;
}

export interface ExecSink {
  output(stream: 1 | 2, data: Uint8Array): void;
  exit(result: { exitCode?: number; error?: string }): void;
}

/** A command running on a node, as the control plane holds it. */
export interface RemoteExec {
  input(data: Uint8Array): void;
  eof(): void;
  cancel(): void;
}

export interface ExecNodes {
  /** Starts the command on the node; throws ApiError when the node cannot be reached. */
  exec(nodeName: string, opts: ExecOptions, sink: ExecSink): RemoteExec;
}

/** Picks the subprotocol: the best one the client offers, or none (the upgrade is then refused). */
export function chooseExecProtocol(offered: Iterable<string>): string | undefined {
  const set = new Set(offered);
  return EXEC_PROTOCOLS.find((p) => set.has(p));
}

/**
 * The container an exec or attach request names (the only one by default), checked against the
 * pod as the API server checks it: bound to a node, and not finished.
 */
function streamTarget(query: URLSearchParams, pod: Pod, verb: 'exec into' | 'attach to'): ExecOptions {
  const flag = (k: string) => ['true', '1'].includes(query.get(k) ?? '');
  const names = pod.spec.containers.map((c) => c.name);
  let container = query.get('container') ?? '';
  if (!container) {
    if (names.length !== 1)
      throw new ApiError('BadRequest', `a container name must be specified for pod ${pod.metadata.name}, choose one of: [${names.join(' ')}]`);
    container = names[0]!;
  }
  if (!names.includes(container)) throw new ApiError('BadRequest', `container ${container} is not valid for pod ${pod.metadata.name}`);
  if (!pod.spec.nodeName) throw new ApiError('BadRequest', `pod ${pod.metadata.name} does not have a host assigned`);
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') throw new ApiError('BadRequest', `cannot ${verb} a container in a completed pod; current phase is ${phase}`);
  return { namespace: pod.metadata.namespace ?? 'default', pod: pod.metadata.name, container, command: [], stdin: flag('stdin'), tty: flag('tty') };
}

/** The exec request in the query: the command, and its container. */
export function parseExecRequest(query: URLSearchParams, pod: Pod): ExecOptions {
  const command = query.getAll('command');
  if (command.length === 0) throw new ApiError('BadRequest', 'you must specify at least 1 command');
  return { ...streamTarget(query, pod, 'exec into'), command };
}

/** The attach request in the query: the container (the only one by default) must be running. */
export function parseAttachRequest(query: URLSearchParams, pod: Pod): ExecOptions {
  return { ...streamTarget(query, pod, 'attach to'), attach: true };
}

/** The Status kubectl reads on channel 3 when the command ends: its exit code decides kubectl's. */
export function execStatus(command: string[], result: { exitCode?: number; error?: string }): ExecStatus {
  if (result.error !== undefined)
    return { apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Failure', message: result.error, reason: 'InternalError', code: 500 };
  const code = result.exitCode ?? 0;
  if (code === 0) return { apiVersion: 'v1', kind: 'Status', metadata: {}, status: 'Success' };
  return {
    apiVersion: 'v1',
    kind: 'Status',
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: error executing command [${command.join(' ')}], exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  };
}

function frame(channel: number, data: Uint8Array | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const out = Buffer.allocUnsafe(1 + body.length);
  out[0] = channel;
  out.set(body, 1);
  return out;
}

export class ExecHandler {
  private readonly wss = new WebSocketServer({
    noServer: true,
    // Keystrokes are tiny; a client's stdin (a file piped in) is bounded per message.
    maxPayload: 1024 * 1024,
    handleProtocols: (offered) => chooseExecProtocol(offered) ?? false,
  });

  constructor(private readonly opts: { store: Store; nodes: ExecNodes; log: Logger }) {}

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer, route: ResourceRoute): void {
    let opts: ExecOptions;
    try {
      const url = new URL(req.url ?? '/', 'http://localhost');
      const pod = this.opts.store.get<Pod>('Pod', route.namespace, route.name!);
      if (!pod) throw notFound('pods', route.name!);
      opts = route.subresource === 'attach' ? parseAttachRequest(url.searchParams, pod) : parseExecRequest(url.searchParams, pod);
      const offered = String(req.headers['sec-websocket-protocol'] ?? '')
        .split(',')
        .map((p) => p.trim());
      if (!chooseExecProtocol(offered))
        throw new ApiError(
          'BadRequest',
          `${route.subresource} needs a WebSocket with one of the subprotocols ${EXEC_PROTOCOLS.join(', ')} (SPDY is not served)`,
        );
    } catch (err) {
      return rejectUpgrade(socket, err instanceof ApiError ? err : new ApiError('InternalError', String(err)));
    }
    const node = this.opts.store.get<Pod>('Pod', route.namespace, route.name!)!.spec.nodeName!;
    this.wss.handleUpgrade(req, socket, head, (ws) => this.serve(ws, node, opts));
  }

  private serve(ws: WebSocket, node: string, opts: ExecOptions): void {
    const { log } = this.opts;
    let ended = false;
    const finish = (result: { exitCode?: number; error?: string }) => {
      if (ended) return;
      ended = true;
      if (ws.readyState === ws.OPEN) {
        // The end of an attached container is no failure of the attach: kubectl run -i reads the
        // container's exit code from the pod's status afterwards, as with the API server.
        const status = opts.attach && result.error === undefined ? execStatus([], { exitCode: 0 }) : execStatus(opts.command, result);
        ws.send(frame(ExecChannel.Error, JSON.stringify(status)));
        ws.close(1000);
      }
      log.debug(opts.attach ? 'attach ended' : 'exec ended', { pod: `${opts.namespace}/${opts.pod}`, container: opts.container, ...result });
    };
    let remote: RemoteExec;
    try {
      remote = this.opts.nodes.exec(node, opts, {
        output: (stream, data) => {
          // A terminal has one output: with tty, kubectl reads stdout only, as a pty merges the two.
          if (ws.readyState === ws.OPEN) ws.send(frame(opts.tty ? ExecChannel.Stdout : stream, data));
        },
        exit: finish,
      });
    } catch (err) {
      finish({ error: (err as Error).message });
      return;
    }
    ws.on('message', (data: Buffer, isBinary) => {
      const buf = isBinary ? data : Buffer.from(data);
      if (buf.length === 0) return;
      const channel = buf[0];
      if (channel === ExecChannel.Stdin && opts.stdin) remote.input(buf.subarray(1));
      else if (channel === ExecChannel.Close && buf[1] === ExecChannel.Stdin) remote.eof();
      // Resize (4) is accepted and ignored: the pty script(1) made keeps its first size.
    });
    ws.on('close', () => {
      if (!ended) {
        ended = true;
        remote.cancel();
      }
    });
    ws.on('error', () => ws.terminate());
  }
}
