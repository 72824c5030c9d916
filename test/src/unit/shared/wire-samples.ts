// One well-formed sample of every wire message, for round trips and for breaking one field at a time.

import { PROFILES, PROTOCOL_VERSION, type Message, type MessageTypeName, type Pod } from '@kip/shared';

export const samplePod = (): Pod => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web-1', namespace: 'default', uid: 'uid-1', resourceVersion: '7', labels: { app: 'web' } },
  spec: { nodeName: 'node-1', containers: [{ name: 'web', image: 'http-echo', ports: [{ name: 'http', containerPort: 8080, protocol: 'TCP' }] }] },
  status: { phase: 'Running', podIP: '10.244.1.5' },
});

export function samples(): Record<MessageTypeName, Message> {
  return {
    hello: {
      type: 'hello',
      protocol: PROTOCOL_VERSION,
      token: 'secret',
      node: {
        name: 'node-1',
        capacity: { cpu: '4', memory: '8Gi', pods: '110' },
        labels: { zone: 'a' },
        pid: 4242,
        version: '0.1.0',
        tunnelEndpoint: '127.0.0.1:4000',
      },
      pods: [{ namespace: 'default', name: 'web-1', uid: 'uid-1' }],
    },
    welcome: { type: 'welcome', nodeName: 'node-1', podCIDR: '10.244.1.0/24', timing: PROFILES.fast },
    refuse: { type: 'refuse', reason: 'BadToken', message: 'the cluster token does not match' },
    podSync: { type: 'podSync', pods: [samplePod()] },
    podUpsert: { type: 'podUpsert', pod: samplePod() },
    podRemove: { type: 'podRemove', namespace: 'default', name: 'web-1', uid: 'uid-1' },
    heartbeat: {
      type: 'heartbeat',
      time: 1_767_225_600_000,
      usage: {
        cpu: 120.5,
        memory: 64 * 2 ** 20,
        pods: [{ namespace: 'default', name: 'web-1', uid: 'uid-1', containers: [{ name: 'web', cpu: 120.5, memory: 64 * 2 ** 20 }] }],
      },
    },
    podStatus: {
      type: 'podStatus',
      updates: [{ namespace: 'default', name: 'web-1', uid: 'uid-1', status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } }],
    },
    podTerminated: { type: 'podTerminated', namespace: 'default', name: 'web-1', uid: 'uid-1' },
    events: {
      type: 'events',
      events: [
        {
          involvedObject: { kind: 'Pod', namespace: 'default', name: 'web-1', uid: 'uid-1' },
          reason: 'Started',
          message: 'Started container web',
          type: 'Normal',
        },
      ],
    },
    logRequest: {
      type: 'logRequest',
      id: 3,
      namespace: 'default',
      pod: 'web-1',
      container: 'web',
      follow: true,
      previous: false,
      tailLines: 10,
      limitBytes: 1024,
    },
    logCancel: { type: 'logCancel', id: 3 },
    logData: { type: 'logData', id: 3, data: Buffer.from('hello\n\u0000\u00ff') },
    logEnd: { type: 'logEnd', id: 3, error: 'container "web" not found' },
    execStart: { type: 'execStart', id: 4, namespace: 'default', pod: 'web-1', container: 'web', command: ['sh', '-c', 'echo hi'], stdin: true, tty: false },
    execInput: { type: 'execInput', id: 4, data: Buffer.from('input\n'), eof: true },
    execCancel: { type: 'execCancel', id: 4 },
    execOutput: { type: 'execOutput', id: 4, stream: 2, data: Buffer.from('err\n') },
    execExit: { type: 'execExit', id: 4, exitCode: 3 },
    routes: {
      type: 'routes',
      full: true,
      services: [
        {
          namespace: 'default',
          name: 'web',
          clusterIP: '10.96.0.10',
          sessionAffinity: 'None',
          ports: [{ name: 'http', port: 80, protocol: 'TCP', endpoints: [{ ip: '10.244.1.5', port: 8080, node: 'node-1', pod: 'web-1', ready: true }] }],
        },
      ],
      nodes: [{ name: 'node-1', tunnel: '127.0.0.1:4000', podCIDR: '10.244.1.0/24' }],
      removeServices: ['default/old'],
      removeNodes: ['node-9'],
    },
    faults: {
      type: 'faults',
      faults: [
        { chaos: 'default/slow', peer: 'node-2', direction: 'both', action: 'delay', latencyMs: 100, jitterMs: 10, correlation: 0.5, seed: 7 },
        { chaos: 'default/cut', controlPlane: true, direction: 'toPeer', action: 'partition', seed: 8 },
      ],
    },
    nodeAction: { type: 'nodeAction', action: 'pause', chaos: 'default/freeze', durationMs: 5000 },
    configObjects: {
      type: 'configObjects',
      full: false,
      objects: [{ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'app', namespace: 'default' }, data: { mode: 'prod' } }],
      remove: [{ kind: 'Secret', namespace: 'default', name: 'old' }],
    },
  };
}
