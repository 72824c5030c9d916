// What a pod's environment gets from the network: Kubernetes' service variables pointing at this
// agent's listeners, and its HTTP proxy with the pod's identity as proxy credentials.

import assert from 'node:assert/strict';
import { apiServerEnv, envVariableName, identityFromProxyAuthorization, proxyEnv, serviceEnv } from '@kip/agent';
import { serviceRoute } from './fixtures.js';

describe('proxy: pod environment', () => {
  it('names variables as Kubernetes does: upper case, dashes become underscores', () => {
    assert.equal(envVariableName('my-web-svc'), 'MY_WEB_SVC');
    assert.equal(envVariableName('redis'), 'REDIS');
  });

  it('gives one unnamed port the SERVICE_HOST/PORT pair and the Docker-link family', () => {
    const env = serviceEnv([{ service: serviceRoute('redis-primary', [], { port: 6379 }), listeners: new Map([[6379, 41000]]) }]);
    assert.deepEqual(env, {
      REDIS_PRIMARY_SERVICE_HOST: '127.0.0.1',
      REDIS_PRIMARY_SERVICE_PORT: '41000',
      REDIS_PRIMARY_PORT: 'tcp://127.0.0.1:41000',
      REDIS_PRIMARY_PORT_6379_TCP: 'tcp://127.0.0.1:41000',
      REDIS_PRIMARY_PORT_6379_TCP_PROTO: 'tcp',
      REDIS_PRIMARY_PORT_6379_TCP_PORT: '41000',
      REDIS_PRIMARY_PORT_6379_TCP_ADDR: '127.0.0.1',
    });
  });

  it('adds SERVICE_PORT_<NAME> for named ports; the first port is the SERVICE_PORT', () => {
    const svc = serviceRoute('web', [], { port: 80, portName: 'http', extraPorts: [{ name: 'metrics-port', port: 9090, protocol: 'TCP', endpoints: [] }] });
    const env = serviceEnv([
      {
        service: svc,
        listeners: new Map([
          [80, 41001],
          [9090, 41002],
        ]),
      },
    ]);
    assert.equal(env.WEB_SERVICE_PORT, '41001');
    assert.equal(env.WEB_SERVICE_PORT_HTTP, '41001');
    assert.equal(env.WEB_SERVICE_PORT_METRICS_PORT, '41002');
    assert.equal(env.WEB_PORT, 'tcp://127.0.0.1:41001');
    assert.equal(env.WEB_PORT_9090_TCP, 'tcp://127.0.0.1:41002');
    assert.equal(env.WEB_PORT_9090_TCP_PORT, '41002');
  });

  it('leaves out a service until each of its ports has a listener', () => {
    const svc = serviceRoute('web', [], { port: 80, portName: 'http', extraPorts: [{ name: 'admin', port: 81, protocol: 'TCP', endpoints: [] }] });
    assert.deepEqual(serviceEnv([{ service: svc, listeners: new Map([[80, 41001]]) }]), {});
  });

  it('points pods at the HTTP proxy with their identity, and keeps loopback off it', () => {
    const env = proxyEnv('127.0.0.1:40000', 'shop', 'client-7d9f');
    assert.equal(env.HTTP_PROXY, 'http://shop:client-7d9f@127.0.0.1:40000');
    assert.equal(env.http_proxy, env.HTTP_PROXY);
    assert.equal(env.NO_PROXY, '127.0.0.1,localhost');
    assert.equal(env.no_proxy, env.NO_PROXY);
    // What curl sends for those credentials:
    const header = `Basic ${Buffer.from('shop:client-7d9f').toString('base64')}`;
    assert.deepEqual(identityFromProxyAuthorization(header), { namespace: 'shop', name: 'client-7d9f' });
  });

  it('ignores proxy credentials that do not name a pod', () => {
    for (const h of [
      undefined,
      '',
      'Bearer abc',
      `Basic ${Buffer.from('nocolon').toString('base64')}`,
      `Basic ${Buffer.from('ns:').toString('base64')}`,
      'Basic !!!',
    ]) {
      assert.equal(identityFromProxyAuthorization(h), undefined, String(h));
    }
  });

  it('gives every pod the kubernetes service variables, naming the API server where a pod reaches it', () => {
    assert.deepEqual(apiServerEnv(new URL('wss://127.0.0.1:7070/agent/v1/connect')), {
      KUBERNETES_SERVICE_HOST: '127.0.0.1',
      KUBERNETES_SERVICE_PORT: '7070',
      KUBERNETES_SERVICE_PORT_HTTPS: '7070',
      KUBERNETES_PORT: 'tcp://127.0.0.1:7070',
      KUBERNETES_PORT_7070_TCP: 'tcp://127.0.0.1:7070',
      KUBERNETES_PORT_7070_TCP_PROTO: 'tcp',
      KUBERNETES_PORT_7070_TCP_PORT: '7070',
      KUBERNETES_PORT_7070_TCP_ADDR: '127.0.0.1',
    });
    assert.equal(apiServerEnv(new URL('wss://kip.example/')).KUBERNETES_SERVICE_PORT, '443');
  });
});
