// Good manifests of every kind the validator knows, as a user would write them. Tests copy one,
// break one field, and expect exactly that field to be named.

type Obj = Record<string, unknown>;

export function goodPod(): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name: 'web', namespace: 'default', labels: { app: 'web', 'example.com/tier': 'front' }, annotations: { note: 'x' } },
    spec: {
      restartPolicy: 'Always',
      terminationGracePeriodSeconds: 5,
      nodeSelector: { zone: 'a' },
      tolerations: [
        { key: 'dedicated', operator: 'Equal', value: 'web', effect: 'NoSchedule' },
        { operator: 'Exists', effect: 'NoExecute', tolerationSeconds: 30 },
      ],
      affinity: {
        nodeAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [{ matchExpressions: [{ key: 'cpus', operator: 'Gt', values: ['2'] }] }] },
          preferredDuringSchedulingIgnoredDuringExecution: [
            { weight: 10, preference: { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['node-1'] }] } },
          ],
        },
      },
      containers: [
        {
          name: 'web',
          image: 'http-echo',
          args: ['-text=hi'],
          env: [
            { name: 'MODE', value: 'fast' },
            { name: 'MY_POD', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
          ],
          ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }],
          resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { cpu: '1', memory: '128Mi' } },
          readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 2 },
          livenessProbe: { tcpSocket: { port: 8080 }, failureThreshold: 3 },
          startupProbe: { exec: { command: ['true'] }, initialDelaySeconds: 0 },
        },
        { name: 'sidecar', command: ['sleep', '1000'], workingDir: '/tmp' },
      ],
    },
  };
}

export function goodDeployment(): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: {
      replicas: 3,
      minReadySeconds: 1,
      revisionHistoryLimit: 5,
      paused: false,
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: '25%' } },
      selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'track', operator: 'NotIn', values: ['canary'] }] },
      template: { metadata: { labels: { app: 'web', track: 'stable' } }, spec: { containers: [{ name: 'web', image: 'http-echo' }] } },
    },
  };
}

export function goodReplicaSet(): Obj {
  return {
    apiVersion: 'apps/v1',
    kind: 'ReplicaSet',
    metadata: { name: 'web-abc', namespace: 'default' },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'pause' }] } },
    },
  };
}

export function goodService(): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web' },
    spec: {
      selector: { app: 'web' },
      clusterIP: '10.96.0.10',
      sessionAffinity: 'ClientIP',
      ports: [
        { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
        { name: 'admin', port: 9090, targetPort: 9091 },
      ],
    },
  };
}

export function goodNode(): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: { name: 'node-1', labels: { 'kubernetes.io/hostname': 'node-1' } },
    spec: { podCIDR: '10.244.1.0/24', unschedulable: false, taints: [{ key: 'dedicated', value: 'web', effect: 'NoSchedule' }] },
  };
}

export function goodEvent(): Obj {
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: { name: 'web.17a', namespace: 'default' },
    involvedObject: { kind: 'Pod', namespace: 'default', name: 'web' },
    reason: 'Started',
    message: 'Started container web',
    type: 'Normal',
  };
}

/** Sets (or, with undefined, deletes) the value at a dotted path like `spec.containers.0.image`. */
export function setPath(obj: Obj, path: string, value: unknown): Obj {
  const parts = path.split('.');
  let cur: Record<string, unknown> = obj;
  for (const p of parts.slice(0, -1)) {
    if (typeof cur[p] !== 'object' || cur[p] === null) cur[p] = {};
    cur = cur[p] as Record<string, unknown>;
  }
  const last = parts[parts.length - 1]!;
  if (value === undefined) delete cur[last];
  else cur[last] = value;
  return obj;
}
