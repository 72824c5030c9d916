// The sample apps the Kubernetes docs deploy to show Deployments, Services, Ingress and the HPA:
// gcr.io/google-samples/hello-app (its tag is its version: "Version: 2.0.0"), node-hello, and
// registry.k8s.io/hpa-example. kip's sample-apps program stands for each (sample-apps.ts).

import type { CatalogImage } from './types.js';

export const SAMPLE_IMAGES: readonly CatalogImage[] = [
  {
    name: 'hello-app',
    repositories: ['google-samples/hello-app'],
    lastSegments: ['hello-app'],
    description: 'answers "Hello, world!", its version and hostname on $PORT (8080)',
    config: (ref, host) => {
      const version = /^\d+(\.\d+)*$/.test(ref.tag ?? '') ? (ref.tag!.split('.').length < 3 ? `${ref.tag}.0` : ref.tag!) : '1.0.0';
      return { entrypoint: host.program('sample-apps', 'hello-app', version), cmd: [], ports: [8080] };
    },
  },
  {
    name: 'hello-go-gke',
    repositories: ['google-samples/hello-go-gke'],
    lastSegments: ['hello-go-gke'],
    description: 'the frontend-backend tutorial\'s backend: answers {"message":"Hello"} on 80',
    config: (_ref, host) => ({ entrypoint: host.program('sample-apps', 'hello-go-gke'), cmd: [], ports: [80] }),
  },
  {
    name: 'node-hello',
    repositories: ['google-samples/node-hello'],
    lastSegments: ['node-hello'],
    description: 'answers "Hello Kubernetes!" on 8080',
    config: (_ref, host) => ({ entrypoint: host.program('sample-apps', 'node-hello'), cmd: [], ports: [8080] }),
  },
  {
    name: 'hpa-example',
    repositories: ['hpa-example'],
    lastSegments: ['hpa-example'],
    description: 'the HPA walkthrough\'s php-apache: burns cpu per request, answers "OK!" on 80',
    config: (_ref, host) => ({ entrypoint: host.program('sample-apps', 'hpa-example'), cmd: [], ports: [80] }),
  },
];
