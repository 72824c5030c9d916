// Host ports: every declared container port is backed by a real free port on 127.0.0.1, which the
// container must listen on (given to it as PORT / PORT_<NAME>). The kernel picks a free port; the
// allocator remembers which ones its pods hold so that two pods never get the same one, even
// while one of them is not listening yet.

import net from 'node:net';
import type { Pod } from '@kip/shared';

/** "container/containerPort" for every port the pod declares and every port its images expose, in declaration order. */
export function declaredPortKeys(pod: Pod, exposed: (container: string) => readonly number[] = () => []): string[] {
  const keys: string[] = [];
  for (const c of pod.spec.containers) {
    const ports = new Set([...(c.ports ?? []).map((p) => p.containerPort), ...exposed(c.name)]);
    for (const port of ports) keys.push(`${c.name}/${port}`);
  }
  return keys;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

export class HostPortAllocator {
  private readonly held = new Map<string, Set<number>>();
  private readonly inUse = new Set<number>();

  /** Host ports for each declared port of the pod; the same ones again if it already has them. */
  async allocate(uid: string, keys: readonly string[], existing: Record<string, number> = {}): Promise<Record<string, number>> {
    const out: Record<string, number> = { ...existing };
    let mine = this.held.get(uid);
    if (!mine) this.held.set(uid, (mine = new Set()));
    for (const k of keys) {
      if (out[k] !== undefined) continue;
      let port = 0;
      for (let tries = 0; tries < 20; tries++) {
        const p = await freePort();
        if (!this.inUse.has(p)) {
          port = p;
          break;
        }
      }
      if (!port) throw new Error('no free host port found on 127.0.0.1');
      this.inUse.add(port);
      mine.add(port);
      out[k] = port;
    }
    return out;
  }

  release(uid: string): void {
    for (const p of this.held.get(uid) ?? []) this.inUse.delete(p);
    this.held.delete(uid);
  }

  get count(): number {
    return this.inUse.size;
  }
}
