// The built-in images. A pod's `image:` names one of these by the last segment of its path, so
// manifests written for real registries ("registry.k8s.io/pause:3.9", "hashicorp/http-echo:1.0")
// run unchanged: the registry, the tag and the digest are accepted and ignored.

import { fileURLToPath } from 'node:url';

export interface ImageReference {
  /** What the manifest said. */
  ref: string;
  /** The last path segment without tag or digest: the built-in's name. */
  name: string;
  tag?: string;
  digest?: string;
}

export interface BuiltinImage {
  name: string;
  description: string;
  /** The image's ENTRYPOINT: replaced by a container's `command`, as in Kubernetes. */
  entrypoint: string[];
  /** The image's CMD: replaced by a container's `args`, as in Kubernetes. */
  cmd: string[];
}

export interface ResolvedImage extends BuiltinImage {
  ref: string;
  /** Reported as the container's imageID. */
  imageID: string;
}

export class ImagePullError extends Error {
  readonly code = 'ErrImagePull';
}

const REFERENCE = /^[A-Za-z0-9][A-Za-z0-9._\-/:@+]*$/;

/** Splits "host:5000/org/name:tag@sha256:abc" into its parts; throws ImagePullError if it is not a reference. */
export function parseImageReference(ref: string): ImageReference {
  const trimmed = ref.trim();
  if (!trimmed || !REFERENCE.test(trimmed)) throw new ImagePullError(`invalid reference format: "${ref}"`);
  let rest = trimmed;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  const slash = rest.lastIndexOf('/');
  let last = rest.slice(slash + 1);
  let tag: string | undefined;
  // A colon in the last segment is a tag; one before the last slash was a registry port.
  const colon = last.indexOf(':');
  if (colon >= 0) {
    tag = last.slice(colon + 1);
    last = last.slice(0, colon);
  }
  if (!last || (tag !== undefined && !tag)) throw new ImagePullError(`invalid reference format: "${ref}"`);
  return { ref, name: last.toLowerCase(), ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

/** The images that are Node programs of their own, started as `node <image>.js`. */
export const PROGRAM_IMAGES = ['http-echo', 'crasher', 'stress', 'client', 'tcp-echo'] as const;

// Beside this file: agent/dist/images/<image>.js when the agent runs from tsc's per-file output, and
// agent/dist/bundle/<image>.js, the image's own bundle, when it runs from its bundle.
function program(file: (typeof PROGRAM_IMAGES)[number]): string[] {
  return [process.execPath, fileURLToPath(new URL(`./${file}.js`, import.meta.url))];
}

// pause must cost almost nothing (100 replicas are common), so it is a shell waiting on `sleep`
// rather than a Node process; like the real pause it exits 0 on SIGTERM. The sleep it leaves
// behind is in the same process group and is reaped with it.
const PAUSE_SCRIPT = 'trap "exit 0" TERM INT; sleep infinity & wait';

const BUILTINS: readonly BuiltinImage[] = [
  { name: 'pause', description: 'sleeps until stopped', entrypoint: ['/bin/sh', '-c', PAUSE_SCRIPT, 'pause'], cmd: [] },
  { name: 'http-echo', description: 'HTTP server on $PORT answering with its pod name', entrypoint: program('http-echo'), cmd: [] },
  { name: 'crasher', description: 'exits with a given code after a given delay (--after 2s --code 1)', entrypoint: program('crasher'), cmd: [] },
  { name: 'stress', description: 'burns cpu and holds memory (--cpu 1 --memory 200Mi)', entrypoint: program('stress'), cmd: [] },
  { name: 'client', description: 'calls a URL at a given rate and logs each answer (--url http://web --rate 5)', entrypoint: program('client'), cmd: [] },
  { name: 'tcp-echo', description: 'raw TCP echo on $PORT, and a byte-counting sink on --sink (for network tests)', entrypoint: program('tcp-echo'), cmd: [] },
  // Shell images, so that the many manifests that run `sh -c ...` in busybox or alpine work as they are.
  { name: 'busybox', description: 'a shell: runs `command` with the host tools', entrypoint: [], cmd: ['sh'] },
  { name: 'alpine', description: 'a shell: runs `command` with the host tools', entrypoint: [], cmd: ['sh'] },
];

export function builtinImageNames(): string[] {
  return BUILTINS.map((b) => b.name);
}

/** The built-in image a reference names, or an ImagePullError saying why there is none. */
export function resolveImage(ref: string): ResolvedImage {
  const parsed = parseImageReference(ref);
  const found = BUILTINS.find((b) => b.name === parsed.name);
  if (!found) {
    throw new ImagePullError(
      `rpc error: code = NotFound desc = "${ref}": kip has no image named "${parsed.name}" (built-in images: ${builtinImageNames().join(', ')})`,
    );
  }
  return { ...found, ref, imageID: `kip://${found.name}` };
}
