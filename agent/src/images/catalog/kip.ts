// kip's own images: small programs for exercising the cluster (load balancing, restarts, resource
// limits, the pod network). They answer to any reference whose last segment is their name
// ("example.com/team/crasher:v2"), as they always have; hashicorp/http-echo is http-echo.

import type { CatalogImage } from './types.js';

// pause must cost almost nothing (100 replicas are common), so it is a shell waiting on `sleep`
// rather than a Node process; like the real pause it exits 0 on SIGTERM. The sleep it leaves
// behind is in the same process group and is reaped with it.
const PAUSE_SCRIPT = 'trap "exit 0" TERM INT; sleep infinity & wait';

export const PAUSE_ARGV = ['/bin/sh', '-c', PAUSE_SCRIPT, 'pause'];

export const KIP_IMAGES: readonly CatalogImage[] = [
  {
    name: 'pause',
    repositories: ['pause'],
    lastSegments: ['pause', 'pause-amd64'],
    description: 'sleeps until stopped',
    config: () => ({ entrypoint: PAUSE_ARGV, cmd: [] }),
  },
  {
    name: 'http-echo',
    repositories: ['hashicorp/http-echo'],
    lastSegments: ['http-echo'],
    description: 'HTTP server on $PORT answering with its pod name, or with -text as plain text (-listen=:5678, -status-code)',
    // The real image's ENTRYPOINT is /http-echo, which manifests also name in their command
    // (`command: ["/http-echo", "-text=hi"]`): that path runs the stand-in of the same name.
    config: (_ref, host) => ({
      entrypoint: host.program('http-echo'),
      cmd: [],
      path: [host.standIns('http-echo', { 'http-echo': host.program('http-echo') })],
      // It listens on 5678 unless told otherwise (EXPOSE 5678): that port gets a host port of its
      // own, so that two replicas on one node, or on two nodes of this machine, do not both want it.
      ports: [5678],
    }),
  },
  {
    name: 'crasher',
    repositories: [],
    lastSegments: ['crasher'],
    description: 'exits with a given code after a given delay (--after 2s --code 1)',
    config: (_ref, host) => ({ entrypoint: host.program('crasher'), cmd: [] }),
  },
  {
    name: 'stress',
    repositories: [],
    lastSegments: ['stress'],
    description: 'kip stress: burns cpu and holds memory (--cpu 1 --memory 200Mi)',
    config: (_ref, host) => ({ entrypoint: host.program('stress'), cmd: [] }),
  },
  {
    name: 'client',
    repositories: [],
    lastSegments: ['client'],
    description: 'calls a URL at a given rate and logs each answer (--url http://web --rate 5)',
    config: (_ref, host) => ({ entrypoint: host.program('client'), cmd: [] }),
  },
  {
    name: 'tcp-echo',
    repositories: [],
    lastSegments: ['tcp-echo'],
    description: 'raw TCP echo on $PORT, and a byte-counting sink on --sink (for network tests)',
    config: (_ref, host) => ({ entrypoint: host.program('tcp-echo'), cmd: [] }),
  },
];
