import assert from 'node:assert/strict';
import { Ipam, IpamError, parsePodCidr } from '@kip/agent';

describe('kubelet IPAM', () => {
  it('hands out .2 to .254 of a /24, stable per uid', () => {
    const ipam = new Ipam('10.244.3.0/24');
    assert.equal(ipam.allocate('a'), '10.244.3.2');
    assert.equal(ipam.allocate('b'), '10.244.3.3');
    assert.equal(ipam.allocate('a'), '10.244.3.2');
    const seen = new Set<string>(['10.244.3.2', '10.244.3.3']);
    for (let i = 0; i < 251; i++) seen.add(ipam.allocate(`p${i}`));
    assert.equal(seen.size, 253);
    assert.ok(!seen.has('10.244.3.1') && !seen.has('10.244.3.0') && !seen.has('10.244.3.255'));
    assert.throws(
      () => ipam.allocate('one-too-many'),
      (e: unknown) => e instanceof IpamError && /no IP addresses available in range set: 10\.244\.3\.1-10\.244\.3\.254/.test(e.message),
    );
    ipam.release('b');
    assert.equal(ipam.allocate('one-too-many'), '10.244.3.3');
  });

  it('does not hand a released address out again at once, and honours a preferred one', () => {
    const ipam = new Ipam('10.244.1.0/24');
    ipam.allocate('a');
    ipam.release('a');
    assert.equal(ipam.allocate('b'), '10.244.1.3');
    assert.equal(ipam.allocate('c', '10.244.1.50'), '10.244.1.50');
    assert.equal(ipam.allocate('d', '10.244.1.50'), '10.244.1.4', 'taken');
    assert.equal(ipam.allocate('e', '10.9.9.9'), '10.244.1.5', 'out of range');
    assert.equal(ipam.addressOf('c'), '10.244.1.50');
  });

  it('keeps existing pods on a CIDR change and rejects bad CIDRs', () => {
    const ipam = new Ipam('10.244.1.0/24');
    ipam.allocate('a');
    ipam.setCidr('10.244.7.0/24');
    assert.equal(ipam.allocate('a'), '10.244.1.2');
    assert.equal(ipam.allocate('b'), '10.244.7.2');
    assert.throws(() => parsePodCidr('10.244.1.0'), /invalid pod CIDR "10.244.1.0"/);
    assert.throws(() => parsePodCidr('10.244.300.0/24'), /invalid pod CIDR "10.244.300.0\/24": must look like/);
    assert.throws(() => parsePodCidr('10.244.0.0/31'), /the prefix must be 8..30/);
    assert.throws(() => new Ipam().allocate('x'), /no pod CIDR/);
    assert.deepEqual(parsePodCidr('10.244.1.77/24'), parsePodCidr('10.244.1.0/24'));
  });
});
