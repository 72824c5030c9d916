import assert from 'node:assert/strict';
import {
  applyDefaults,
  DEFAULT_NAMESPACE,
  DEFAULT_TERMINATION_GRACE_SECONDS,
  defaultPodSpec,
  type Deployment,
  type Node,
  type Pod,
  type PodSpec,
  type ReplicaSet,
  type Service,
} from '@kip/shared';

const container = () => ({ name: 'c', image: 'pause' });

describe('shared/api/defaults', () => {
  describe('defaultPodSpec', () => {
    it("fills Kubernetes' pod defaults", () => {
      const spec: PodSpec = { containers: [container()] };
      defaultPodSpec(spec);
      assert.deepEqual(spec, {
        containers: [container()],
        restartPolicy: 'Always',
        terminationGracePeriodSeconds: DEFAULT_TERMINATION_GRACE_SECONDS,
        schedulerName: 'default-scheduler',
      });
      assert.equal(DEFAULT_TERMINATION_GRACE_SECONDS, 30);
    });

    it('keeps what the manifest says, including a grace period of 0', () => {
      const spec: PodSpec = { containers: [container()], restartPolicy: 'Never', terminationGracePeriodSeconds: 0, schedulerName: 'mine' };
      defaultPodSpec(spec);
      assert.equal(spec.restartPolicy, 'Never');
      assert.equal(spec.terminationGracePeriodSeconds, 0);
      assert.equal(spec.schedulerName, 'mine');
    });

    it('defaults container ports to TCP', () => {
      const spec: PodSpec = { containers: [{ ...container(), ports: [{ containerPort: 80 }, { containerPort: 81, protocol: 'TCP' }] }] };
      defaultPodSpec(spec);
      assert.deepEqual(spec.containers[0]!.ports, [
        { containerPort: 80, protocol: 'TCP' },
        { containerPort: 81, protocol: 'TCP' },
      ]);
    });

    it('defaults every probe as the kubelet reads them', () => {
      const spec: PodSpec = {
        containers: [
          {
            ...container(),
            livenessProbe: { httpGet: { port: 80 } },
            readinessProbe: { tcpSocket: { port: 80 }, periodSeconds: 2, failureThreshold: 1 },
            startupProbe: { exec: { command: ['true'] }, initialDelaySeconds: 5 },
          },
        ],
      };
      defaultPodSpec(spec);
      const c = spec.containers[0]!;
      assert.deepEqual(c.livenessProbe, {
        httpGet: { port: 80, path: '/', scheme: 'HTTP' },
        initialDelaySeconds: 0,
        periodSeconds: 10,
        timeoutSeconds: 1,
        successThreshold: 1,
        failureThreshold: 3,
      });
      assert.deepEqual(c.readinessProbe, {
        tcpSocket: { port: 80 },
        initialDelaySeconds: 0,
        periodSeconds: 2,
        timeoutSeconds: 1,
        successThreshold: 1,
        failureThreshold: 1,
      });
      assert.deepEqual(c.startupProbe, {
        exec: { command: ['true'] },
        initialDelaySeconds: 5,
        periodSeconds: 10,
        timeoutSeconds: 1,
        successThreshold: 1,
        failureThreshold: 3,
      });
    });
  });

  describe('applyDefaults', () => {
    it('puts a namespaced object without namespace in "default"', () => {
      const pod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [container()] } };
      applyDefaults(pod, true);
      assert.equal(pod.metadata.namespace, DEFAULT_NAMESPACE);
      assert.equal(DEFAULT_NAMESPACE, 'default');
      const empty: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: '' }, spec: { containers: [container()] } };
      applyDefaults(empty, true);
      assert.equal(empty.metadata.namespace, 'default');
    });

    it('keeps a given namespace, and drops one from a cluster-scoped object', () => {
      const pod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'team' }, spec: { containers: [container()] } };
      applyDefaults(pod, true);
      assert.equal(pod.metadata.namespace, 'team');
      const node: Node = { apiVersion: 'v1', kind: 'Node', metadata: { name: 'n', namespace: 'default' }, spec: {} };
      applyDefaults(node, false);
      assert.ok(!('namespace' in node.metadata));
    });

    it('defaults a Pod spec', () => {
      const pod: Pod = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p' }, spec: { containers: [container()] } };
      applyDefaults(pod, true);
      assert.equal(pod.spec.restartPolicy, 'Always');
      assert.equal(pod.spec.terminationGracePeriodSeconds, 30);
    });

    it('defaults a ReplicaSet and its template', () => {
      const rs: ReplicaSet = {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name: 'r' },
        spec: { selector: { matchLabels: { a: 'b' } }, template: { spec: { containers: [container()] } } },
      };
      applyDefaults(rs, true);
      assert.equal(rs.spec.replicas, 1);
      assert.equal(rs.spec.minReadySeconds, 0);
      assert.equal(rs.spec.template.spec.restartPolicy, 'Always');
      assert.equal(rs.spec.template.spec.terminationGracePeriodSeconds, 30);
    });

    it('keeps replicas: 0', () => {
      const rs: ReplicaSet = {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: { name: 'r' },
        spec: { replicas: 0, selector: {}, template: { spec: { containers: [container()] } } },
      };
      applyDefaults(rs, true);
      assert.equal(rs.spec.replicas, 0);
    });

    it('defaults a Deployment as Kubernetes does: 1 replica, RollingUpdate 25%/25%, 10 revisions', () => {
      const d: Deployment = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'd' },
        spec: { selector: {}, template: { spec: { containers: [container()] } } },
      };
      applyDefaults(d, true);
      assert.equal(d.spec.replicas, 1);
      assert.equal(d.spec.minReadySeconds, 0);
      assert.equal(d.spec.revisionHistoryLimit, 10);
      assert.deepEqual(d.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } });
      assert.equal(d.spec.template.spec.schedulerName, 'default-scheduler');
    });

    it("reads a template's Go zero values as unset, as kubectl rollout undo sends them", () => {
      // A ReplicaSet's template as Go encodes it: creationTimestamp null, resources {} (and empty limits).
      const goTemplate = {
        metadata: { creationTimestamp: null, labels: { app: 'web' } },
        spec: {
          containers: [
            { ...container(), resources: {} },
            { name: 'd', image: 'pause', resources: { limits: {}, requests: { cpu: '1' } } },
          ],
        },
      };
      const d = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'd' },
        spec: { selector: {}, template: goTemplate },
      } as unknown as Deployment;
      applyDefaults(d, true);
      assert.deepEqual(d.spec.template.metadata, { labels: { app: 'web' } });
      assert.equal('resources' in d.spec.template.spec.containers[0]!, false);
      assert.deepEqual(d.spec.template.spec.containers[1]!.resources, { requests: { cpu: '1' } });
    });

    it('fills only the missing half of rollingUpdate, and nothing for Recreate', () => {
      const d: Deployment = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'd' },
        spec: { selector: {}, strategy: { rollingUpdate: { maxSurge: 2 } }, template: { spec: { containers: [container()] } } },
      };
      applyDefaults(d, true);
      assert.deepEqual(d.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxSurge: 2, maxUnavailable: '25%' } });
      const r: Deployment = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'd' },
        spec: { selector: {}, strategy: { type: 'Recreate' }, template: { spec: { containers: [container()] } } },
      };
      applyDefaults(r, true);
      assert.deepEqual(r.spec.strategy, { type: 'Recreate' });
    });

    it('defaults a Service: ClusterIP, no affinity, TCP, targetPort = port', () => {
      const s: Service = { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [{ port: 80 }, { port: 81, targetPort: 'http' }] } };
      applyDefaults(s, true);
      assert.equal(s.spec.type, 'ClusterIP');
      assert.equal(s.spec.sessionAffinity, 'None');
      assert.deepEqual(s.spec.ports, [
        { port: 80, protocol: 'TCP', targetPort: 80 },
        { port: 81, protocol: 'TCP', targetPort: 'http' },
      ]);
    });

    it('leaves kinds without defaults alone, apart from the namespace', () => {
      const ev = { apiVersion: 'v1', kind: 'Event', metadata: { name: 'e' }, reason: 'X' };
      applyDefaults(ev, true);
      assert.deepEqual(ev, { apiVersion: 'v1', kind: 'Event', metadata: { name: 'e', namespace: 'default' }, reason: 'X' });
    });

    it('is idempotent', () => {
      const d: Deployment = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: 'd' },
        spec: { selector: {}, template: { spec: { containers: [{ ...container(), readinessProbe: { httpGet: { port: 80 } } }] } } },
      };
      applyDefaults(d, true);
      const once = structuredClone(d);
      applyDefaults(d, true);
      assert.deepEqual(d, once);
    });
  });
});
