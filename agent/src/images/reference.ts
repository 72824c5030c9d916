// Image references as a container runtime reads them: "registry.k8s.io/e2e-test-images/agnhost:2.40",
// "docker.io/library/nginx@sha256:...". The catalog matches on the repository path without its
// registry (and without Docker Hub's "library/"), so a manifest's image runs whichever registry it
// names; the tag and digest are kept for user images that name a tag.

export interface ImageReference {
  /** What the manifest said. */
  ref: string;
  /** The last path segment without tag or digest, lower-cased ("agnhost"). */
  name: string;
  /** The repository path without registry host and without Docker Hub's "library/" ("e2e-test-images/agnhost"). */
  repository: string;
  /** The registry host, when the reference names one ("registry.k8s.io", "localhost:5000"). */
  registry?: string;
  tag?: string;
  digest?: string;
}

export class ImagePullError extends Error {
  readonly code = 'ErrImagePull';
}

const REFERENCE = /^[A-Za-z0-9][A-Za-z0-9._\-/:@+]*$/;
const DOCKER_HUB = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io']);

/** A first path segment is a registry host when it has a dot or a port, or is localhost (Docker's rule). */
function isRegistryHost(segment: string): boolean {
  return segment.includes('.') || segment.includes(':') || segment === 'localhost';
}

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
  const segments = [...(slash >= 0 ? rest.slice(0, slash).split('/') : []), last];
  if (segments.some((s) => !s)) throw new ImagePullError(`invalid reference format: "${ref}"`);
  let registry: string | undefined;
  if (segments.length > 1 && isRegistryHost(segments[0]!)) registry = segments.shift()!.toLowerCase();
  if (segments.length > 1 && segments[0] === 'library' && (registry === undefined || DOCKER_HUB.has(registry))) segments.shift();
  return {
    ref,
    name: last.toLowerCase(),
    repository: segments.join('/').toLowerCase(),
    ...(registry !== undefined ? { registry } : {}),
    ...(tag !== undefined ? { tag } : {}),
    ...(digest !== undefined ? { digest } : {}),
  };
}
