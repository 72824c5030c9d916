// stress(1) images: polinux/stress and progrium/stress run kip's stress1 program, which takes
// stress's own flags (--cpu N, --vm N --vm-bytes 150M --vm-hang N, --timeout 10s, -c/-m short
// forms) and really holds the memory, so the docs' memory-limit examples end OOMKilled as they do
// on a real node. (Plain `stress`, and vish/stress with its -cpus flag, are kip's stress image.)

import type { CatalogImage, ImageHost } from './types.js';

function stressPath(host: ImageHost): string[] {
  // --expose-gc lets a churning vm worker give its memory back at once, as free() does.
  const [node, ...program] = host.program('stress1');
  return [host.standIns('stress1', { stress: [node!, '--expose-gc', ...program] })];
}

export const STRESS_IMAGES: readonly CatalogImage[] = [
  {
    name: 'polinux/stress',
    repositories: ['polinux/stress'],
    description: 'stress(1): --cpu N, --vm N --vm-bytes B --vm-hang S, --io N, --hdd N, --timeout T',
    config: (_ref, host) => ({ entrypoint: [], cmd: ['stress', '--help'], path: stressPath(host) }),
  },
  {
    name: 'progrium/stress',
    repositories: ['progrium/stress'],
    description: "stress(1), with progrium/stress's entrypoint `stress --verbose`",
    config: (_ref, host) => ({ entrypoint: ['stress', '--verbose'], cmd: [], path: stressPath(host) }),
  },
];
