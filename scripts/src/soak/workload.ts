// What the soak runs under the chaos: examples/deployment.yaml and examples/service.yaml as they
// are (three http-echo replicas behind the Service "web"), and the probe that calls it. Kept
// here rather than read from examples/, so that editing an example does not change what a soak
// measures; checked as `kip apply` checks manifests.

import type { Deployment, Service } from '@kip/shared';
import { prepareManifest, type ManifestObject } from '../kip/manifests.js';
import type { ProbeSpec } from '../experiment/spec.js';

export const NAMESPACE = 'default';
export const APP = 'web';
export const REPLICAS = 3;
export const PROBE_POD = 'soak-probe';
export const PROBE: ProbeSpec = { url: `http://${APP}/`, rate: 10, timeoutMs: 1000 };

export function deployment(): Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: APP, labels: { app: APP } },
    spec: {
      replicas: REPLICAS,
      selector: { matchLabels: { app: APP } },
      template: {
        metadata: { labels: { app: APP } },
        spec: {
          containers: [
            {
              name: APP,
              image: 'http-echo',
              args: ['-text=hello from kip'],
              ports: [{ name: 'http', containerPort: 8080 }],
              resources: { requests: { cpu: '100m', memory: '64Mi' }, limits: { memory: '256Mi' } },
              readinessProbe: { httpGet: { path: '/', port: 'http' }, periodSeconds: 2 },
            },
          ],
        },
      },
    },
  } as Deployment;
}

export function service(): Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: APP, labels: { app: APP } },
    spec: { selector: { app: APP }, ports: [{ name: 'http', port: 80, targetPort: 'http' }] },
  } as Service;
}

/** The Deployment and the Service, ready for Workload (experiment/workload.ts) to apply. */
export function soakManifests(): ManifestObject[] {
  return [deployment(), service()].map((o) =>
    prepareManifest(
      { source: `soak ${o.kind.toLowerCase()}/${o.metadata.name}`, object: o as unknown as Record<string, unknown> },
      { namespace: NAMESPACE, namespaceGiven: false, validate: true },
    ),
  );
}
