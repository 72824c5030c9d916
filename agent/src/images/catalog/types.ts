// What a catalog entry is: an image name (or several) that kip stands in for, and how to run it:
// the image's ENTRYPOINT and CMD (which a container's command and args replace, as Kubernetes
// does), its ENV, and the directories of programs it brings (put in front of the container's PATH).

import type { ImageReference } from '../reference.js';

export interface ImageConfig {
  /** The image's ENTRYPOINT: replaced by a container's `command`. */
  entrypoint: string[];
  /** The image's CMD: replaced by a container's `args`. */
  cmd: string[];
  /** The image's ENV: below the container's own env and what the kubelet sets. */
  env?: Record<string, string>;
  /** Directories of the image's own programs, put in front of the container's PATH. */
  path?: string[];
  /**
   * The image's EXPOSE: ports its program listens on by default. The kubelet gives each one a
   * host port, as it does a declared containerPort, so the pod answers there even when the
   * manifest declares none (two nginx pods on one node must not both bind port 80 of the host).
   */
  ports?: number[];
}

/** The programs kip's images run as `node <file>.js`; registry.ts's PROGRAM_IMAGES lists them. */
export type ProgramName = 'http-echo' | 'crasher' | 'stress' | 'client' | 'tcp-echo' | 'static-http' | 'agnhost' | 'stress1' | 'wget' | 'sample-apps';

/** What an entry may ask of the machine it runs on. */
export interface ImageHost {
  /** The argv that runs one of kip's image programs: [node, file, ...args]. */
  program(name: ProgramName, ...args: string[]): string[];
  /** A directory holding one executable per command, each running its argv with the caller's arguments appended (or its own sh script). */
  standIns(family: string, commands: Record<string, string[] | { sh: string }>): string;
  /** The absolute path of a program on the host's PATH, or undefined. */
  which(name: string): string | undefined;
}

export interface CatalogImage {
  /** The name messages list ("nginx"). */
  name: string;
  /** Repository paths it answers to, without registry host or "library/" ("nginx", "e2e-test-images/agnhost"). */
  repositories: string[];
  /** Any reference whose last path segment is one of these also matches (after every repository match). */
  lastSegments?: string[];
  description: string;
  /** How to run it; throws ImagePullError when this host cannot (an interpreter it lacks). */
  config(ref: ImageReference, host: ImageHost): ImageConfig;
}
