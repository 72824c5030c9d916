// Who is on the other end of a loopback connection. Every pod reaches a service listener from
// 127.0.0.1, so the client's address says nothing; ClientIP affinity needs to know which pod it is.
// Linux tells: the client's socket is the /proc/net/tcp entry whose local address is the
// connection's remote one, its inode names the socket, and the process holding that inode in
// /proc/<pid>/fd is the client, whose environment carries POD_NAMESPACE and POD_NAME (the kubelet
// sets them for every container, and children inherit them). Only services with ClientIP affinity
// pay for this lookup; when it fails the caller falls back to the remote address.

import { readFile, readdir, readlink } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { ipToNumber } from '@kip/shared';

/** Processes that were clients recently are searched first: the same pods connect again and again. */
const RECENT_PIDS = 64;
const recent: number[] = [];

/** "0100007F:1F90" for 127.0.0.1:8080, as /proc/net/tcp writes IPv4 addresses (host byte order). */
export function procNetAddress(ip: string, port: number): string {
  const addr = Buffer.alloc(4);
  addr.writeUInt32LE(ipToNumber(ip) ?? 0);
  return `${addr.toString('hex').toUpperCase()}:${port.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** The inode of the socket with this local and remote address in a /proc/net/tcp table. */
export function findSocketInode(table: string, local: string, remote: string): string | undefined {
  for (const line of table.split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f[1] === local && f[2] === remote && f[9] && f[9] !== '0') return f[9];
  }
  return undefined;
}

/** POD_NAMESPACE/POD_NAME from a NUL-separated environment, as "namespace/name". */
export function podFromEnviron(environ: string): string | undefined {
  let ns: string | undefined;
  let name: string | undefined;
  for (const kv of environ.split('\0')) {
    if (kv.startsWith('POD_NAMESPACE=')) ns = kv.slice('POD_NAMESPACE='.length);
    else if (kv.startsWith('POD_NAME=')) name = kv.slice('POD_NAME='.length);
  }
  return name ? `${ns || 'default'}/${name}` : undefined;
}

async function holdsInode(pid: number, link: string): Promise<boolean> {
  let fds: string[];
  try {
    fds = await readdir(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  for (const fd of fds) {
    try {
      if ((await readlink(`/proc/${pid}/fd/${fd}`)) === link) return true;
    } catch {
      // closed meanwhile
    }
  }
  return false;
}

async function ownerOf(inode: string): Promise<number | undefined> {
  const link = `socket:[${inode}]`;
  for (const pid of recent) if (await holdsInode(pid, link)) return pid;
  const all = (await readdir('/proc')).filter((e) => /^\d+$/.test(e)).map(Number);
  for (const pid of all) {
    if (pid === process.pid || recent.includes(pid)) continue;
    if (await holdsInode(pid, link)) {
      recent.unshift(pid);
      if (recent.length > RECENT_PIDS) recent.pop();
      return pid;
    }
  }
  return undefined;
}

/**
 * "namespace/name" of the pod whose process opened this accepted loopback connection, or
 * undefined when it cannot be told (not Linux, not a pod, the client already gone).
 */
export async function loopbackPeerPod(socket: Socket): Promise<string | undefined> {
  const { remoteAddress, remotePort, localAddress, localPort } = socket;
  if (!remoteAddress || !remotePort || !localAddress || !localPort) return undefined;
  const v4 = (a: string) => a.replace(/^::ffff:/, '');
  if (!/^\d+\.\d+\.\d+\.\d+$/.test(v4(remoteAddress)) || !/^\d+\.\d+\.\d+\.\d+$/.test(v4(localAddress))) return undefined;
  try {
    const table = await readFile('/proc/net/tcp', 'utf8');
    const inode = findSocketInode(table, procNetAddress(v4(remoteAddress), remotePort), procNetAddress(v4(localAddress), localPort));
    if (!inode) return undefined;
    const pid = await ownerOf(inode);
    if (pid === undefined) return undefined;
    return podFromEnviron(await readFile(`/proc/${pid}/environ`, 'utf8'));
  } catch {
    return undefined;
  }
}
