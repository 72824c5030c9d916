// Pod addresses, shared by the kubelet (which allocates them) and the proxy (which looks them up):
// nothing is handed out before the control plane names the pod CIDR, and a pod IP's container
// port leads to its host port until the pod's addresses are released.

import assert from 'node:assert/strict';
import { PodAddresses } from '@kip/agent';

describe('pod addresses', () => {
  it('hands out no IP before the pod CIDR is assigned', () => {
    const a = new PodAddresses();
    assert.throws(() => a.allocateIP('u1', { namespace: 'default', name: 'web' }), /no pod CIDR/);
    a.assignCidr('10.244.2.0/24');
    assert.equal(a.allocateIP('u1', { namespace: 'default', name: 'web' }), '10.244.2.2');
  });

  it('answers which pod has an IP and the host port behind its container port, until released', async () => {
    const a = new PodAddresses();
    a.assignCidr('10.244.1.0/24');
    const web = { namespace: 'default', name: 'web' };
    const ip = a.allocateIP('u1', web, '10.244.1.7');
    assert.equal(ip, '10.244.1.7');
    assert.deepEqual(a.localPort(ip, 8080), { pod: web }, 'its ports are not allocated yet');
    const ports = await a.allocatePorts('u1', ['app/8080', 'side/9090']);
    assert.deepEqual(a.localPort(ip, 8080), { pod: web, hostPort: ports['app/8080'] });
    assert.deepEqual(a.localPort(ip, 9090), { pod: web, hostPort: ports['side/9090'] });
    assert.deepEqual(a.localPort(ip, 1234), { pod: web });
    assert.deepEqual(a.localPort('10.244.1.8', 8080), {});
    a.release('u1');
    assert.deepEqual(a.localPort(ip, 8080), {});
    assert.equal(a.allocateIP('u2', web, '10.244.1.7'), '10.244.1.7', 'the address is free again');
  });
});
