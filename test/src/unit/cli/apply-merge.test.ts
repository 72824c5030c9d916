import assert from 'node:assert/strict';
import type { Deployment, KObject } from '@kip/shared';
import { LAST_APPLIED_ANNOTATION, planApply, threeWayMerge, withLastApplied } from '@kip/scripts';

function manifest(replicas: number | undefined, labels: Record<string, string>, image = 'http-echo'): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'default', labels },
    spec: {
      ...(replicas !== undefined ? { replicas } : {}),
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image, ports: [{ containerPort: 8080 }] }] } },
    },
  };
}

/** What the server would store: the manifest, defaulted, with server metadata and status. */
function stored(m: KObject, rv = '7'): Deployment {
  const o = structuredClone(withLastApplied(m)) as Deployment;
  o.metadata = { ...o.metadata, uid: 'u1', resourceVersion: rv, creationTimestamp: '2024-01-01T00:00:00Z' };
  o.spec.replicas ??= 1;
  o.spec.strategy = { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } };
  o.spec.template.spec.containers[0]!.ports![0]!.protocol = 'TCP';
  o.spec.template.spec.restartPolicy = 'Always';
  o.status = { replicas: 2, readyReplicas: 2 };
  return o;
}

describe('cli apply merge', () => {
  it('records the manifest, without status or server metadata, in the last-applied annotation', () => {
    const m = { ...manifest(2, { app: 'web' }), status: { replicas: 9 } } as KObject;
    (m.metadata as { resourceVersion?: string }).resourceVersion = '3';
    const out = withLastApplied(m);
    const recorded = JSON.parse(out.metadata.annotations![LAST_APPLIED_ANNOTATION]!) as Record<string, unknown> & KObject;
    assert.equal(recorded.status, undefined);
    assert.equal(recorded.metadata.resourceVersion, undefined);
    assert.equal((out as unknown as Record<string, unknown>).status, undefined);
  });

  it('finds nothing to do when the same manifest is applied to what the server defaulted', () => {
    const m = manifest(2, { app: 'web' });
    const plan = planApply(stored(m), m);
    assert.equal(plan.changed, false);
  });

  it('updates changed fields and keeps defaulted ones, status and the live resourceVersion', () => {
    const live = stored(manifest(2, { app: 'web' }));
    const plan = planApply(live, manifest(2, { app: 'web' }, 'http-echo:2'));
    const next = plan.object as Deployment;
    assert.equal(plan.changed, true);
    assert.equal(next.spec.template.spec.containers[0]!.image, 'http-echo:2');
    assert.equal(next.spec.template.spec.containers[0]!.ports![0]!.protocol, 'TCP');
    assert.equal(next.spec.strategy?.type, 'RollingUpdate');
    assert.equal(next.metadata.resourceVersion, '7');
    assert.equal(next.metadata.uid, 'u1');
    assert.deepEqual(next.status, { replicas: 2, readyReplicas: 2 });
  });

  it('removes what the previous apply set and this one dropped, but keeps what others set', () => {
    const live = stored(manifest(2, { app: 'web', tier: 'front' }));
    live.metadata.labels!.team = 'ops'; // added by someone else, e.g. kip label
    const plan = planApply(live, manifest(2, { app: 'web' }));
    assert.deepEqual(plan.object.metadata.labels, { app: 'web', team: 'ops' });
  });

  it('keeps replicas set by kip scale when the manifest does not set them', () => {
    const live = stored(manifest(undefined, { app: 'web' }));
    live.spec.replicas = 5;
    const plan = planApply(live, manifest(undefined, { app: 'web' }));
    assert.equal(plan.changed, false);
    assert.equal((plan.object as Deployment).spec.replicas, 5);
  });

  it('merges lists of named things by name, not by position', () => {
    const live = {
      spec: {
        containers: [
          { name: 'a', image: 'x', defaulted: 1 },
          { name: 'b', image: 'y', defaulted: 2 },
        ],
      },
    };
    const desired = {
      spec: {
        containers: [
          { name: 'b', image: 'y2' },
          { name: 'a', image: 'x' },
        ],
      },
    };
    const out = threeWayMerge(live, desired, undefined) as typeof live;
    assert.deepEqual(out.spec.containers, [
      { name: 'b', image: 'y2', defaulted: 2 },
      { name: 'a', image: 'x', defaulted: 1 },
    ]);
  });

  it('notices an object not made by apply, which it then cannot prune', () => {
    const live = stored(manifest(2, { app: 'web' }));
    delete live.metadata.annotations![LAST_APPLIED_ANNOTATION];
    const plan = planApply(live, manifest(2, { app: 'web' }));
    assert.equal(plan.hadLastApplied, false);
    assert.equal(plan.changed, true, 'the annotation itself is added');
  });
});
