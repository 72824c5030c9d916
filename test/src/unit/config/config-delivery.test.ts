// An agent gets the ConfigMaps and Secrets the pods bound to its node reference, and nothing
// else, as Kubernetes' Node authorizer lets a kubelet read them: over its own session (a full set
// after the welcome, then deltas), never through the REST API with the join token. Checked over a
// real WebSocket against a real ControlPlane.

import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { AGENT_PATH, PROTOCOL_VERSION, decodeFromControlPlane, encode, silentLogger, type ConfigObjects, type Pod, type Secret } from '@kip/shared';
import { ControlPlane } from '@kip/controlplane';
import { TestApi } from '../../helpers/api.js';
import { eventually } from '../../helpers/wait.js';

function secret(name: string, value: string) {
  return { apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace: 'default' }, stringData: { value } };
}

function podUsing(name: string, nodeName: string, secretName: string): Pod {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace: 'default' },
    spec: { nodeName, containers: [{ name: 'c', image: 'pause', env: [{ name: 'V', valueFrom: { secretKeyRef: { name: secretName, key: 'value' } } }] }] },
  };
}

describe('config: delivery to agents (Node authorization)', () => {
  let cp: ControlPlane;
  let url: string;
  const sockets: WebSocket[] = [];

  before(async () => {
    cp = new ControlPlane({ joinToken: 'join', apiToken: 'admin', log: silentLogger, port: 0 });
    url = (await cp.start()).url;
  });
  after(async () => {
    for (const s of sockets) s.close();
    await cp.stop();
  });

  /** Joins as a node; answers the configObjects messages it receives, as they come. */
  async function join(name: string): Promise<ConfigObjects[]> {
    const sock = new WebSocket(url.replace(/^http/, 'ws') + AGENT_PATH);
    sockets.push(sock);
    const got: ConfigObjects[] = [];
    await new Promise((resolve, reject) => sock.once('open', resolve).once('error', reject));
    const welcomed = new Promise<void>((resolve) =>
      sock.on('message', (d) => {
        const m = decodeFromControlPlane(d as Buffer);
        if (m.type === 'welcome') resolve();
        if (m.type === 'configObjects') got.push(m);
      }),
    );
    sock.send(
      encode({
        type: 'hello',
        protocol: PROTOCOL_VERSION,
        token: 'join',
        node: { name, capacity: { cpu: '4', memory: '8Gi' }, labels: {}, pid: process.pid, version: '0.1.0', instance: name },
        pods: [],
      }),
    );
    await welcomed;
    return got;
  }

  const names = (msgs: ConfigObjects[]) => msgs.flatMap((m) => m.objects.map((o) => `${o.kind}/${o.metadata.name}`));

  it('sends a node only the secrets its pods reference, and follows changes and removals', async () => {
    // Both nodes exist, so that the pod garbage collector leaves their pods alone.
    for (const name of ['node-a', 'node-b'])
      cp.store.create({ apiVersion: 'v1', kind: 'Node', metadata: { name }, spec: {}, status: { conditions: [{ type: 'Ready', status: 'True' }] } });
    cp.registry.create(secret('used', 'one'));
    cp.registry.create(secret('unused', 'nope'));
    cp.registry.create(secret('elsewhere', 'other'));
    cp.store.create(podUsing('mine', 'node-a', 'used'));
    cp.store.create(podUsing('theirs', 'node-b', 'elsewhere'));

    const a = await join('node-a');
    await eventually('node-a has its snapshot', () => a.length > 0);
    assert.equal(a[0]!.full, true);
    assert.deepEqual(names(a), ['Secret/used']);
    // stringData was merged into data on write.
    const sent = a[0]!.objects[0] as { data?: Record<string, string>; stringData?: unknown };
    assert.deepEqual(sent.data, { value: Buffer.from('one').toString('base64') });
    assert.equal(sent.stringData, undefined);

    // A change of a referenced secret goes out; one of an unreferenced one does not.
    const used = cp.store.get<Secret>('Secret', 'default', 'used')!;
    cp.store.update<Secret>({ ...used, data: { value: Buffer.from('two').toString('base64') } });
    const unused = cp.store.get<Secret>('Secret', 'default', 'unused')!;
    cp.store.update<Secret>({ ...unused, data: { value: Buffer.from('changed').toString('base64') } });
    await eventually('the change of used arrives', () => a.length >= 2);
    assert.deepEqual(names(a.slice(1)), ['Secret/used']);

    // A newly bound pod that references another secret brings it; its deletion takes it away.
    cp.store.create(podUsing('second', 'node-a', 'unused'));
    await eventually('unused arrives once referenced', () => names(a).includes('Secret/unused'));
    cp.store.delete('Pod', 'default', 'second');
    await eventually('unused is taken back', () => a.some((m) => m.remove?.some((r) => r.name === 'unused')));
    assert.ok(!names(a).includes('Secret/elsewhere'), 'never the secret of another node');
  });

  it('refuses the join token a read of any secret through the API', async () => {
    const asNode = new TestApi(url, { token: 'join' });
    for (const name of ['unused', 'used']) {
      const res = await asNode.request('GET', `/api/v1/namespaces/default/secrets/${name}`);
      assert.equal(res.status, 403, `GET secret ${name} with the join token`);
    }
    assert.equal((await asNode.request('GET', '/api/v1/namespaces/default/secrets')).status, 403);
    assert.equal((await asNode.request('GET', '/api/v1/namespaces/default/configmaps')).status, 403);
    const asAdmin = new TestApi(url, { token: 'admin' });
    assert.equal((await asAdmin.request('GET', '/api/v1/namespaces/default/secrets/unused')).status, 200);
  });
});
