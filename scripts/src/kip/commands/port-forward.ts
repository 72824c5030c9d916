// `kip port-forward`: listen on a local port and forward each connection to a pod or a service in
// the cluster, through the control plane and a tunnel to the pod's node agent (as kubectl goes
// through the API server and the kubelet). A service picks one of its ready endpoints per connection.

import net from 'node:net';
import WebSocket, { createWebSocketStream } from 'ws';
import { objectPath, resolveResource, type Deployment, type Pod, type ReplicaSet, type ResourceType, type Service } from '@kip/shared';
import type { Command, Context } from '../command.js';
import { CliError, UsageError } from '../errors.js';
import { resolveType } from '../targets.js';

export interface PortSpec {
  local: number;
  remote: string;
}

/** `8080:80`, `:80` (any free local port), `80` (the same port locally), remote may be a port name. */
export function parsePortSpec(spec: string): PortSpec {
  const m = /^(?:(\d*):)?([a-z0-9-]+)$/.exec(spec);
  if (!m) throw new UsageError(`invalid port "${spec}": use LOCAL:REMOTE, :REMOTE or PORT`);
  const remote = m[2]!;
  const local = m[1] === undefined ? (/^\d+$/.test(remote) ? Number(remote) : 0) : m[1] === '' ? 0 : Number(m[1]);
  if (local > 65535) throw new UsageError(`invalid local port ${m[1]}`);
  if (/^\d+$/.test(remote) && (Number(remote) < 1 || Number(remote) > 65535)) throw new UsageError(`invalid remote port ${remote}`);
  return { local, remote };
}

/**
 * Refuses, before listening, a remote port the target cannot serve, as kubectl does: a service
 * port by number or name, or a pod's container port by name. A pod's port must also be declared,
 * because kip reaches a container only through the host ports its agent allocated for them.
 */
export function checkRemotePort(target: Pod | Service, remote: string): void {
  const numeric = /^\d+$/.test(remote);
  if (target.kind === 'Service') {
    const ports = target.spec.ports ?? [];
    if (numeric ? ports.some((p) => p.port === Number(remote)) : ports.some((p) => p.name === remote)) return;
    throw new CliError(
      numeric
        ? `Service ${target.metadata.name} does not have a service port ${remote}`
        : `Service '${target.metadata.name}' does not have a named port '${remote}'`,
    );
  }
  const ports = target.spec.containers.flatMap((c) => c.ports ?? []);
  if (numeric ? ports.some((p) => p.containerPort === Number(remote)) : ports.some((p) => p.name === remote)) return;
  if (!numeric) throw new CliError(`Pod '${target.metadata.name}' does not have a named port '${remote}'`);
  const declared = ports.map((p) => p.containerPort).join(', ');
  throw new CliError(
    `Pod '${target.metadata.name}' declares no container port ${remote} (${declared ? `declared: ${declared}` : 'it declares none'}); kip forwards only to declared container ports`,
  );
}

/** Where the forwarded connections go: a pod, or a service (each connection to one of its endpoints). */
async function resolveTarget(ctx: Context, text: string): Promise<{ resource: ResourceType; name: string; object: Pod | Service }> {
  const slash = text.indexOf('/');
  const r = slash < 0 ? resolveResource('pods')! : resolveType(text.slice(0, slash));
  const name = slash < 0 ? text : text.slice(slash + 1);
  if (!name) throw new UsageError(`invalid target "${text}": use pod/NAME, svc/NAME or deployment/NAME`);
  if (r.kind === 'Pod' || r.kind === 'Service') {
    const object = await ctx.api.call<Pod | Service>('GET', objectPath(r, ctx.namespace, name));
    return { resource: r, name, object };
  }
  if (r.kind === 'Deployment' || r.kind === 'ReplicaSet') {
    // As kubectl: a workload means one of its running pods, chosen once.
    const owner = await ctx.api.call<Deployment | ReplicaSet>('GET', objectPath(r, ctx.namespace, name));
    const sel = Object.entries(owner.spec.selector.matchLabels ?? {})
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const pods = await ctx.api.list<Pod>(resolveResource('pods')!, ctx.namespace, { labelSelector: sel });
    const pod = pods.items.find((p) => p.status?.phase === 'Running' && !p.metadata.deletionTimestamp);
    if (!pod) throw new CliError(`no running pod of ${r.singular}/${name} to forward to`);
    return { resource: resolveResource('pods')!, name: pod.metadata.name, object: pod };
  }
  throw new CliError(`cannot port-forward to a ${r.kind}: use a pod, service, deployment or replica set`);
}

function forward(ctx: Context, client: net.Socket, url: string, headers: Record<string, string>, label: string, ca?: string): void {
  ctx.err(`Handling connection for ${label}\n`);
  const ws = new WebSocket(url, { headers, ...(ca ? { ca } : {}) });
  const fail = (message: string) => {
    ctx.err(`error: error forwarding ${label}: ${message}\n`);
    client.destroy();
  };
  ws.once('unexpected-response', (_req, res) => {
    let body = '';
    res.on('data', (d: Buffer) => (body += d.toString()));
    res.on('end', () => {
      let message = `HTTP ${res.statusCode}`;
      try {
        message = (JSON.parse(body) as { message?: string }).message ?? message;
      } catch {
        // not a Status
      }
      fail(message);
    });
  });
  ws.once('error', (err) => fail(err.message));
  ws.once('open', () => {
    const stream = createWebSocketStream(ws);
    stream.on('error', () => client.destroy());
    client.on('error', () => stream.destroy());
    client.pipe(stream).pipe(client);
  });
  client.on('close', () => {
    if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
  });
}

async function run(ctx: Context, args: string[]): Promise<number> {
  const [targetText, ...specs] = args;
  if (!targetText || specs.length === 0) throw new UsageError('port-forward needs a target and at least one port, e.g. kip port-forward svc/web 8080:80');
  const ports = specs.map(parsePortSpec);
  const address = ctx.flags.str('address') || '127.0.0.1';
  const target = await resolveTarget(ctx, targetText);
  for (const p of ports) checkRemotePort(target.object, p.remote);
  const servers: net.Server[] = [];
  for (const p of ports) {
    const path = `${objectPath(target.resource, ctx.namespace, target.name)}/portforward`;
    const { url, headers, ca } = ctx.api.webSocket(path, { ports: p.remote });
    const server = net.createServer((client) => forward(ctx, client, url, headers, String((server.address() as net.AddressInfo).port), ca));
    await new Promise<void>((resolve, reject) => {
      server.once('error', (err: NodeJS.ErrnoException) =>
        reject(new CliError(`unable to listen on ${address}:${p.local}: ${err.code === 'EADDRINUSE' ? 'address already in use' : err.message}`)),
      );
      server.listen(p.local, address, () => resolve());
    });
    servers.push(server);
    ctx.out(`Forwarding from ${address}:${(server.address() as net.AddressInfo).port} -> ${p.remote}\n`);
  }
  // Until interrupted (Ctrl-C ends the process; in-process callers abort the signal).
  await new Promise<void>((resolve) => {
    if (ctx.signal?.aborted) return resolve();
    ctx.signal?.addEventListener('abort', () => resolve(), { once: true });
  });
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  return 0;
}

export const portForwardCommand: Command = {
  name: 'port-forward',
  group: 'advanced',
  summary: 'Forward one or more local ports to a pod or a service',
  usage: ['port-forward (POD | TYPE/NAME) [LOCAL_PORT:]REMOTE_PORT [...] [flags]'],
  description:
    "Listen on local ports and forward each connection to the pod (or, for svc/NAME, to one of the service's ready endpoints per connection) through the control plane and the pod's node agent. Runs until interrupted.",
  examples: [
    '  # Local port 8080 to port 80 of service web',
    '  kip port-forward svc/web 8080:80',
    '',
    '  # A free local port to container port 8080 of a pod',
    '  kip port-forward pod/web-7d4b9-x2x9z :8080',
  ].join('\n'),
  flags: [{ name: 'address', type: 'string', valueName: 'address', description: 'The local address to listen on (default 127.0.0.1).' }],
  run,
};
