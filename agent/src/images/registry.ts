// The image catalog: what kip runs for a pod's `image:`. kip runs processes, not containers, so an
// image is a stand-in true to what manifests rely on: nginx serves its welcome page on the
// declared port, busybox runs `sh -c ...` with the host's tools, agnhost liveness fails its
// probe after 10 s. Each family is one file under catalog/; a user maps their own images in the
// agent's --images file. References match on their repository path whatever the registry,
// tag or digest ("registry.k8s.io/pause:3.9" is pause), then on their last path segment.

import fs from 'node:fs';
import path from 'node:path';
import { AGNHOST_IMAGES } from './catalog/agnhost.js';
import { INTERPRETER_IMAGES } from './catalog/interpreters.js';
import { KIP_IMAGES } from './catalog/kip.js';
import { SHELL_IMAGES } from './catalog/shells.js';
import { SAMPLE_IMAGES } from './catalog/samples.js';
import { STRESS_IMAGES } from './catalog/stress.js';
import type { CatalogImage, ImageConfig, ImageHost } from './catalog/types.js';
import { UserImages } from './catalog/user-images.js';
import { WEB_SERVER_IMAGES } from './catalog/web-servers.js';
import { programArgv, programDir } from './programs.js';
import { ImagePullError, parseImageReference } from './reference.js';
import { setStandInRoot, standInRoot, whichOnPath, writeStandIns } from './stand-ins.js';

export { PROGRAM_IMAGES } from './programs.js';
export { ImagePullError, parseImageReference, type ImageReference } from './reference.js';

export interface ResolvedImage extends ImageConfig {
  /** The catalog's name for it ("nginx"), or the user's key ("myapp:1.0"). */
  name: string;
  description: string;
  ref: string;
  /** Reported as the container's imageID. */
  imageID: string;
}

/** Kept for callers of the old name: an image's defaults. */
export type BuiltinImage = ResolvedImage;

export const CATALOG: readonly CatalogImage[] = [
  ...KIP_IMAGES,
  ...SHELL_IMAGES,
  ...WEB_SERVER_IMAGES,
  ...AGNHOST_IMAGES,
  ...STRESS_IMAGES,
  ...INTERPRETER_IMAGES,
  ...SAMPLE_IMAGES,
];

const host: ImageHost = {
  program: programArgv,
  standIns: writeStandIns,
  which: (name) => whichOnPath(name, process.env.PATH),
};

let userImages: UserImages | undefined;

export interface ImageSettings {
  /** The user's images file (YAML or JSON); may not exist yet. */
  imagesFile?: string;
  /** Where the stand-in executables are written. */
  standInDir?: string;
}

/** Set once by the agent at start. */
export function configureImages(settings: ImageSettings): void {
  userImages = settings.imagesFile ? new UserImages(settings.imagesFile) : undefined;
  if (settings.standInDir) setStandInRoot(settings.standInDir);
}

/** The problem with the user's images file, if it has one. */
export function userImagesProblem(): string | undefined {
  return userImages?.problem();
}

/**
 * The host directories images run from (kip's checkout with its program images, the stand-ins' scripts): a
 * container's sandbox binds them read-only at their own paths, wherever they are (a data dir
 * under /tmp, which a sandbox replaces with the pod's own).
 */
export function imageHostDirs(): string[] {
  // kip's checkout, not just the program files: a program run from tsc's per-file output imports
  // its workspace packages through node_modules there. Stand-ins are written when an image that
  // has them is resolved, before its container starts.
  const checkout = path.resolve(programDir(), '..', '..', '..');
  return [checkout, standInRoot()].filter((d) => fs.existsSync(d));
}

export function builtinImageNames(): string[] {
  return CATALOG.map((b) => b.name);
}

function catalogEntry(repository: string, name: string): CatalogImage | undefined {
  return CATALOG.find((c) => c.repositories.includes(repository)) ?? CATALOG.find((c) => c.lastSegments?.includes(name));
}

function unknownImageMessage(ref: string, repository: string): string {
  const users = userImages?.names() ?? [];
  const problem = userImages?.problem();
  const how = userImages
    ? `add it to ${userImages.file} ("${repository}:" with entrypoint, cmd, env)${problem ? `, which cannot be read now: ${problem}` : ''}`
    : 'add it to an images file given to the agent with --images (the launcher uses <data-dir>/images.yaml)';
  return (
    `rpc error: code = NotFound desc = failed to pull and unpack image "${ref}": kip has no image "${repository}" ` +
    `(kip's images: ${builtinImageNames().join(', ')}${users.length ? `; yours: ${users.join(', ')}` : ''}); to run your own program as this image, ${how}`
  );
}

/** What to run for a reference, or an ImagePullError saying why kip cannot. */
export function resolveImage(ref: string): ResolvedImage {
  const parsed = parseImageReference(ref);
  const mine = userImages?.lookup(parsed);
  if (mine) {
    return {
      name: mine.key,
      description: mine.description,
      entrypoint: mine.entrypoint,
      cmd: mine.cmd,
      env: mine.env,
      ref,
      imageID: `kip://user/${mine.key}`,
    };
  }
  const entry = catalogEntry(parsed.repository, parsed.name);
  if (!entry) throw new ImagePullError(unknownImageMessage(ref, parsed.repository));
  let config: ImageConfig;
  try {
    config = entry.config(parsed, host);
  } catch (err) {
    if (err instanceof ImagePullError) throw err;
    // A stand-in directory that cannot be written is this node's problem, reported as a pull failure.
    throw new ImagePullError(`rpc error: code = Unknown desc = "${ref}": ${(err as Error).message}`);
  }
  return { ...config, name: entry.name, description: entry.description, ref, imageID: `kip://${entry.name}` };
}
