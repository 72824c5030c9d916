// Telling which pod is on the other end of a loopback connection, from /proc: the parsing as pure
// functions, and the whole lookup against a real process that carries a pod's variables.

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import net from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { findSocketInode, loopbackPeerPod, podFromEnviron, procNetAddress } from '@kip/agent';

const TABLE = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 111 1 0000000000000000 100 0 0 10 0
   1: 0100007F:C350 0100007F:1F90 01 00000000:00000000 00:00000000 00000000  1000        0 222 1 0000000000000000 20 4 30 10 -1
   2: 0100007F:1F90 0100007F:C350 01 00000000:00000000 00:00000000 00000000  1000        0 333 1 0000000000000000 20 4 30 10 -1
`;

describe('proxy: who is on the other end of a loopback connection', () => {
  it('writes addresses as /proc/net/tcp does', () => {
    assert.equal(procNetAddress('127.0.0.1', 8080), '0100007F:1F90');
    assert.equal(procNetAddress('10.244.2.7', 50000), '0702F40A:C350');
  });

  it('finds the client socket of a connection by its two addresses', () => {
    // The listener accepted 127.0.0.1:50000 -> 127.0.0.1:8080; the client holds the reverse.
    assert.equal(findSocketInode(TABLE, '0100007F:C350', '0100007F:1F90'), '222');
    assert.equal(findSocketInode(TABLE, '0100007F:C351', '0100007F:1F90'), undefined);
  });

  it('reads the pod from the Downward API variables in an environment', () => {
    assert.equal(podFromEnviron('PATH=/bin\0POD_NAME=web-1\0POD_NAMESPACE=shop\0'), 'shop/web-1');
    assert.equal(podFromEnviron('POD_NAME=web-1\0'), 'default/web-1');
    assert.equal(podFromEnviron('PATH=/bin\0'), undefined);
  });

  it('names the pod whose process opened a connection', async function () {
    this.timeout(10_000);
    const accepted: net.Socket[] = [];
    const server = net.createServer((s) => accepted.push(s));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as net.AddressInfo).port;
    // A "pod" process that connects and waits until told to go.
    const child = spawn(process.execPath, ['-e', `const s = require('net').connect(${port}, '127.0.0.1'); s.on('close', () => process.exit(0));`], {
      env: { PATH: process.env.PATH, POD_NAMESPACE: 'shop', POD_NAME: 'client-7' },
      stdio: 'ignore',
    });
    const exited = new Promise((r) => child.once('exit', r));
    try {
      while (accepted.length === 0) await sleep(10);
      assert.equal(await loopbackPeerPod(accepted[0]!), 'shop/client-7');
    } finally {
      for (const s of accepted) s.destroy();
      await exited;
      await new Promise((r) => server.close(r));
    }
  });

  it('knows nothing of a client that is not a pod', async () => {
    const server = net.createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const accepted = new Promise<net.Socket>((r) => server.once('connection', r));
    const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
    const s = await accepted;
    // This test process is the client, and it has no POD_NAME.
    assert.equal(await loopbackPeerPod(s), process.env.POD_NAME ? `${process.env.POD_NAMESPACE || 'default'}/${process.env.POD_NAME}` : undefined);
    s.destroy();
    client.destroy();
    await new Promise((r) => server.close(r));
  });
});
