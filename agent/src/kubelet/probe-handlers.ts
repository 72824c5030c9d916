// The three probe handlers, exec, httpGet and tcpSocket, each answering success or failure with
// the kubelet's message. A container listens on host ports here, so a probe's port (number or
// name) is first mapped to the host port that backs it.

import http from 'node:http';
import net from 'node:net';
import type { Container, Probe } from '@kip/shared';
import { type GroupRegistry, ProcessGroup } from './process-group.js';

export interface ProbeResult {
  ok: boolean;
  /** Why it failed (or a note on success), in the kubelet's words. */
  message: string;
}

export interface ProbeTarget {
  container: Container;
  /** "container/containerPort" -> host port. */
  hostPorts: Record<string, number>;
  env: Record<string, string>;
  cwd: string;
  groups: GroupRegistry;
  /** The argv that runs an exec probe's command where the container is (inside its sandbox). */
  execArgv?: (command: string[]) => string[];
}

/**
 * The host port a probe dials: a port name is looked up among the container's ports; a declared
 * port number maps to its host port; an undeclared number is dialled as it is (the program may
 * listen on a fixed port of its own).
 */
export function resolveProbePort(port: number | string, container: Container, hostPorts: Record<string, number>): { port: number } | { error: string } {
  let containerPort: number | undefined;
  if (typeof port === 'string' && !/^\d+$/.test(port)) {
    containerPort = container.ports?.find((p) => p.name === port)?.containerPort;
    if (containerPort === undefined) return { error: `port "${port}" is not a named port of container "${container.name}"` };
  } else containerPort = Number(port);
  if (!Number.isInteger(containerPort) || containerPort < 1 || containerPort > 65535) return { error: `invalid port ${String(port)}` };
  const host = hostPorts[`${container.name}/${containerPort}`];
  return { port: host ?? containerPort };
}

const OUTPUT_CAP = 10 * 1024;

function execProbe(command: string[], timeoutMs: number, t: ProbeTarget): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let group: ProcessGroup;
    try {
      group = ProcessGroup.spawn({ argv: t.execArgv ? t.execArgv(command) : command, env: t.env, cwd: t.cwd }, t.groups);
    } catch (err) {
      resolve({ ok: false, message: (err as Error).message });
      return;
    }
    let out = '';
    const take = (d: Buffer) => {
      if (out.length < OUTPUT_CAP) out += d.toString('utf8');
    };
    group.stdout.on('data', take);
    group.stderr.on('data', take);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      group.signal('SIGKILL');
    }, timeoutMs);
    void group.exited.then(async ({ exitCode }) => {
      clearTimeout(timer);
      await group.release();
      const text = out.trim().slice(0, OUTPUT_CAP);
      if (timedOut) resolve({ ok: false, message: `command "${command.join(' ')}" timed out` });
      else if (exitCode === 0) resolve({ ok: true, message: text });
      else resolve({ ok: false, message: text || `command "${command.join(' ')}" exited with ${exitCode}` });
    });
  });
}

function httpProbe(probe: NonNullable<Probe['httpGet']>, host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  const path = probe.path || '/';
  const url = `http://${host}:${port}${path.startsWith('/') ? path : `/${path}`}`;
  return new Promise((resolve) => {
    const headers: Record<string, string> = { 'user-agent': 'kube-probe/kip', accept: '*/*' };
    for (const h of probe.httpHeaders ?? []) headers[h.name.toLowerCase()] = h.value;
    const req = http.request({ host, port, path: path.startsWith('/') ? path : `/${path}`, method: 'GET', headers, agent: false });
    const timer = setTimeout(() => req.destroy(new Error(`context deadline exceeded (Client.Timeout exceeded while awaiting headers)`)), timeoutMs);
    req.on('response', (res) => {
      let body = '';
      res.on('data', (d: Buffer) => {
        if (body.length < OUTPUT_CAP) body += d.toString('utf8');
      });
      res.on('end', () => {
        clearTimeout(timer);
        const code = res.statusCode ?? 0;
        if (code >= 200 && code < 400) resolve({ ok: true, message: '' });
        else resolve({ ok: false, message: `HTTP probe failed with statuscode: ${code}` });
      });
      res.on('error', () => undefined);
    });
    req.on('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      const reason = err.code === 'ECONNREFUSED' ? `dial tcp ${host}:${port}: connect: connection refused` : err.message;
      resolve({ ok: false, message: `Get "${url}": ${reason}` });
    });
    req.end();
  });
}

function tcpProbe(host: string, port: number, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const timer = setTimeout(() => {
      sock.destroy();
      resolve({ ok: false, message: `dial tcp ${host}:${port}: i/o timeout` });
    }, timeoutMs);
    sock.once('connect', () => {
      clearTimeout(timer);
      sock.destroy();
      resolve({ ok: true, message: '' });
    });
    sock.once('error', (err: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      resolve({ ok: false, message: `dial tcp ${host}:${port}: ${err.code === 'ECONNREFUSED' ? 'connect: connection refused' : err.message}` });
    });
  });
}

/** The host a network probe dials: the pod's address is virtual, so the pod is reached on loopback. */
function probeHost(host: string | undefined, podIP: string): string {
  return !host || host === podIP ? '127.0.0.1' : host;
}

export function runProbe(probe: Probe, t: ProbeTarget, podIP: string): Promise<ProbeResult> {
  const timeoutMs = (probe.timeoutSeconds ?? 1) * 1000;
  if (probe.exec) return execProbe(probe.exec.command, timeoutMs, t);
  if (probe.httpGet) {
    const r = resolveProbePort(probe.httpGet.port, t.container, t.hostPorts);
    if ('error' in r) return Promise.resolve({ ok: false, message: r.error });
    return httpProbe(probe.httpGet, probeHost(probe.httpGet.host, podIP), r.port, timeoutMs);
  }
  if (probe.tcpSocket) {
    const r = resolveProbePort(probe.tcpSocket.port, t.container, t.hostPorts);
    if ('error' in r) return Promise.resolve({ ok: false, message: r.error });
    return tcpProbe(probeHost(probe.tcpSocket.host, podIP), r.port, timeoutMs);
  }
  return Promise.resolve({ ok: false, message: 'probe has no handler: one of exec, httpGet, tcpSocket is required' });
}
