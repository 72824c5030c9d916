// Finding where a container really listens: the LISTEN sockets of /proc/net/tcp{,6}, the choice of
// port for a declared containerPort, and the discovery against a real process that binds a port of
// its own instead of its assigned host port.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { chooseListenPort, ListenPortDiscovery, parseListeners } from '@kip/agent';
import { eventually } from '../../helpers/wait.js';

const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1001 1 0000000000000000 100 0 0 10 0
   1: 00000000:1F41 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1002 1 0000000000000000 100 0 0 10 0
   2: 0A00020F:1F42 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1003 1 0000000000000000 100 0 0 10 0
   3: 0100007F:1F90 0100007F:D431 01 00000000:00000000 00:00000000 00000000     0        0 1004 1 0000000000000000 100 0 0 10 0
`;
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000000000000:1F40 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2001 1 0000000000000000 100 0 0 10 0
   1: 0000000000000000FFFF00000100007F:1F43 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2002 1 0000000000000000 100 0 0 10 0
   2: 20010DB8000000000000000000000001:1F44 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 2003 1 0000000000000000 100 0 0 10 0
`;

describe('kubelet: where a container listens', function () {
  it('reads the LISTEN sockets reachable on loopback from /proc/net/tcp and tcp6', function () {
    assert.deepEqual(parseListeners(TCP), [
      { port: 8080, inode: 1001 },
      { port: 8001, inode: 1002 },
    ]);
    assert.deepEqual(parseListeners(TCP6), [
      { port: 8000, inode: 2001 },
      { port: 8003, inode: 2002 },
    ]);
  });

  it('keeps the assigned port while it is listened on, else takes the containerPort or the one port the container has', function () {
    assert.equal(chooseListenPort(40000, 80, new Set([40000, 80]), [80], new Set()), 40000);
    assert.equal(chooseListenPort(40000, 8000, new Set([8000]), [8000, 9000], new Set()), 8000);
    assert.equal(chooseListenPort(40000, 80, new Set([8080]), [8080], new Set()), 8080);
    assert.equal(chooseListenPort(40000, 80, new Set([8080, 9090]), [8080, 9090], new Set()), 40000, 'two candidates: no guess');
    assert.equal(chooseListenPort(40000, 80, new Set([8080, 9090]), [8080, 9090], new Set([9090])), 8080, 'the other port is taken');
    assert.equal(chooseListenPort(40000, 80, new Set(), [], new Set()), 40000);
  });

  it('points a declared port at the port a real process binds instead of its host port, and back for a run that binds it', async function () {
    this.timeout(20_000);
    const assigned = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const child = spawn(process.execPath, ['-e', "const s = require('net').createServer().listen(0, '0.0.0.0', () => console.log(s.address().port))"], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const own = Number(await new Promise<string>((resolve) => child.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()))));
      const pod = {
        uid: 'u1',
        hostPorts: { 'web/80': assigned } as Record<string, number>,
        containers: [{ pgid: child.pid!, keys: ['web/80'], pids: () => [child.pid!] }],
      };
      const discovery = new ListenPortDiscovery();
      // Seen before its ports are allocated and its container runs: nothing to do yet.
      assert.deepEqual(discovery.refresh([{ uid: 'u1', hostPorts: {}, containers: [] }]), []);
      assert.deepEqual(discovery.refresh([pod]), ['u1']);
      assert.equal(pod.hostPorts['web/80'], own);
      assert.deepEqual(discovery.refresh([pod]), [], 'a settled run is not looked at again');

      // A new run that listens on its assigned port gets it back.
      const server = net.createServer().listen(assigned, '127.0.0.1');
      await eventually('listening', () => server.listening || undefined);
      const again = { ...pod, containers: [{ pgid: process.pid, keys: ['web/80'], pids: () => [process.pid] }] };
      assert.deepEqual(discovery.refresh([again]), ['u1']);
      assert.equal(pod.hostPorts['web/80'], assigned);
      server.close();
    } finally {
      child.kill('SIGKILL');
    }
  });
});
