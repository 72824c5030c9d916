// A throwaway etcd for tests and benchmarks of the etcd store: Debian's etcd-server (`etcd` on
// PATH) in a temp dir, on ports the OS had free, stopped by its pid and its directory removed.

import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { waitFor } from '@kip/shared';

export interface EtcdServer {
  /** host:port of its client URL. */
  address: string;
  /** `etcd://host:port`, for `--store`. */
  url: string;
  pid: number;
  /** Kills it with SIGKILL (it keeps nothing worth a clean stop) and removes its data. */
  stop(): Promise<void>;
}

/** Whether `etcd` is installed; tests without it say so and skip outside CI. */
export function etcdInstalled(): boolean {
  return spawnSync('etcd', ['--version'], { stdio: 'ignore' }).status === 0;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
  });
}

async function healthy(address: string): Promise<boolean> {
  try {
    const res = await fetch(`http://${address}/health`, { signal: AbortSignal.timeout(2000) });
    return res.ok && ((await res.json()) as { health?: string }).health === 'true';
  } catch {
    return false;
  }
}

/** Starts an etcd of its own and waits until it answers healthy. */
export async function startEtcd(opts: { timeoutMs?: number } = {}): Promise<EtcdServer> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'kip-etcd-'));
  const [client, peer] = [await freePort(), await freePort()];
  const address = `127.0.0.1:${client}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  const child: ChildProcess = spawn(
    'etcd',
    [
      '--name',
      'default',
      '--data-dir',
      path.join(dir, 'data'),
      '--listen-client-urls',
      `http://${address}`,
      '--advertise-client-urls',
      `http://${address}`,
      '--listen-peer-urls',
      peerUrl,
      '--initial-advertise-peer-urls',
      peerUrl,
      '--initial-cluster',
      `default=${peerUrl}`,
      '--log-level',
      'warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (log = (log + d).slice(-4000)));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  let dead = false;
  void exited.then(() => (dead = true));
  const stop = async () => {
    if (!dead) {
      child.kill('SIGKILL');
      await exited;
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitFor(
      `etcd on ${address} to be healthy`,
      async () => {
        if (dead) throw new Error(`etcd exited: ${log}`);
        return healthy(address);
      },
      { timeoutMs: opts.timeoutMs ?? 30_000, intervalMs: 50 },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { address, url: `etcd://${address}`, pid: child.pid!, stop };
}
