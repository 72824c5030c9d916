// Where a container really listens. kip backs each declared containerPort with a host port and
// tells the program (PORT, PORT_<NAME>, KIP_HOST_PORT_<n>); a program that binds a fixed port of
// its own instead (`python -m http.server 8000`, a user's image, nginx with its own listen
// directive) would be unreachable. So while nothing listens on a container's assigned host port,
// the kubelet looks up the TCP ports its process group listens on (the socket inodes in
// /proc/<pid>/fd against the LISTEN sockets of /proc/net/tcp and tcp6) and points the
// containerPort there: the proxy forwards pod-IP:containerPort, and probes dial, the port the
// program chose. Once a run's port is found it is not looked at again until the next run.

import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface Listener {
  port: number;
  inode: number;
}

/** LISTEN (state 0A) sockets of a /proc/net/tcp or tcp6 table reachable on 127.0.0.1: bound to any address or loopback. */
export function parseListeners(table: string): Listener[] {
  const out: Listener[] = [];
  for (const line of table.split('\n').slice(1)) {
    const f = line.trim().split(/\s+/);
    if (f.length < 10 || f[3] !== '0A') continue;
    const [addr, portHex] = f[1]!.split(':');
    if (!addr || !portHex) continue;
    const any = /^0+$/.test(addr);
    // 127.x.x.x is 7F in the low byte of the little-endian IPv4 word; ::1 and ::ffff:127.x in tcp6.
    const loopback =
      addr.length === 8 ? addr.endsWith('7F') : addr === '00000000000000000000000001000000' || /^0000000000000000FFFF0000[0-9A-F]{6}7F$/i.test(addr);
    if (!any && !loopback) continue;
    out.push({ port: Number.parseInt(portHex, 16), inode: Number(f[9]) });
  }
  return out;
}

function readListeners(): Listener[] {
  const out: Listener[] = [];
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    try {
      out.push(...parseListeners(readFileSync(file, 'utf8')));
    } catch {
      // no IPv6, or no /proc
    }
  }
  return out;
}

/** The socket inodes the processes hold open. */
function socketInodes(pids: readonly number[]): Set<number> {
  const inodes = new Set<number>();
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${pid}/fd/${fd}`));
        if (m) inodes.add(Number(m[1]));
      } catch {
        // closed meanwhile
      }
    }
  }
  return inodes;
}

/**
 * The port a declared containerPort should reach: its assigned host port while something listens
 * there; else the containerPort itself if the container listens on it; else the one port the
 * container listens on that no other of its ports has; else the assigned port still.
 */
export function chooseListenPort(
  assigned: number,
  containerPort: number,
  listening: ReadonlySet<number>,
  own: readonly number[],
  taken: ReadonlySet<number>,
): number {
  if (listening.has(assigned)) return assigned;
  if (own.includes(containerPort)) return containerPort;
  const free = [...new Set(own)].filter((p) => !taken.has(p));
  return free.length === 1 ? free[0]! : assigned;
}

/** One running container with declared ports, as the discovery sees it. */
export interface ListeningContainer {
  /** Its process group id: a new one is a new run. */
  pgid: number;
  /** "container/containerPort" keys of its declared ports. */
  keys: string[];
  /** The live pids of its process group. */
  pids(): number[];
}

export interface ListeningPod {
  uid: string;
  /** "container/containerPort" -> the port it reaches; shared with the proxy's lookups and the probes, updated in place. */
  hostPorts: Record<string, number>;
  containers: ListeningContainer[];
}

/** After this many looks without finding the port, a run is looked at only every tenth sample. */
const PATIENT_LOOKS = 30;

export class ListenPortDiscovery {
  /** uid -> the host ports allocated to the pod, before any redirection. */
  private readonly assigned = new Map<string, Record<string, number>>();
  /** uid/pgid -> looks so far, for runs whose port is not settled; settled runs map to -1. */
  private readonly looks = new Map<string, number>();
  private tick = 0;

  /** Looks at the runs not yet settled; returns the uids whose ports now reach elsewhere. */
  refresh(pods: Iterable<ListeningPod>): string[] {
    this.tick++;
    const live = new Set<string>();
    const changed: string[] = [];
    let listeners: Listener[] | undefined;
    for (const pod of pods) {
      live.add(pod.uid);
      let assigned = this.assigned.get(pod.uid);
      if (!assigned) this.assigned.set(pod.uid, (assigned = {}));
      for (const c of pod.containers) {
        if (c.keys.length === 0) continue;
        // Learnt per port once its container runs: the pod's host ports are allocated before that.
        for (const key of c.keys) if (assigned[key] === undefined && pod.hostPorts[key] !== undefined) assigned[key] = pod.hostPorts[key];
        const runKey = `${pod.uid}/${c.pgid}`;
        live.add(runKey);
        const looked = this.looks.get(runKey) ?? 0;
        if (looked < 0 || (looked >= PATIENT_LOOKS && this.tick % 10 !== 0)) continue;
        this.looks.set(runKey, looked + 1);
        listeners ??= readListeners();
        const listening = new Set(listeners.map((l) => l.port));
        const inodes = c.keys.some((k) => assigned[k] !== undefined && !listening.has(assigned[k])) ? socketInodes(c.pids()) : new Set<number>();
        const own = listeners.filter((l) => inodes.has(l.inode)).map((l) => l.port);
        let settled = true;
        for (const key of c.keys) {
          const original = assigned[key];
          if (original === undefined) continue;
          const containerPort = Number(key.slice(key.lastIndexOf('/') + 1));
          const taken = new Set(Object.entries(pod.hostPorts).flatMap(([k, v]) => (k === key ? [] : [v])));
          const port = chooseListenPort(original, containerPort, listening, own, taken);
          if (port === original && !listening.has(original)) settled = false;
          if (pod.hostPorts[key] !== port) {
            pod.hostPorts[key] = port;
            changed.push(pod.uid);
          }
        }
        if (settled) this.looks.set(runKey, -1);
      }
    }
    for (const k of this.assigned.keys()) if (!live.has(k)) this.assigned.delete(k);
    for (const k of this.looks.keys()) if (!live.has(k)) this.looks.delete(k);
    return [...new Set(changed)];
  }
}
