// How an image shapes the process the kubelet starts, as a container runtime applies an image's
// config: the image's ENV lies under everything the kubelet and the container set, its programs
// go in front of PATH (unless the container sets PATH itself), and an absolute program path that
// exists in the image but not on the host ("/agnhost", "/usr/local/bin/stress") runs the image's
// stand-in of that name.

import fs from 'node:fs';
import path from 'node:path';
import type { Container } from '@kip/shared';
import type { ResolvedImage } from './registry.js';

/** KIP_HOST_PORT_<containerPort>: the host port behind each declared port, so a program told to listen on 8080 finds it. */
export function hostPortEnvName(containerPort: number): string {
  return `KIP_HOST_PORT_${containerPort}`;
}

export function imageRunEnv(
  image: ResolvedImage | undefined,
  env: Record<string, string>,
  container: Container,
  hostPorts: Record<string, number>,
): Record<string, string> {
  const out: Record<string, string> = { ...(image?.env ?? {}) };
  // Every port the kubelet gave this container a host port for: declared, or exposed by its image.
  const prefix = `${container.name}/`;
  for (const [key, host] of Object.entries(hostPorts)) if (key.startsWith(prefix)) out[hostPortEnvName(Number(key.slice(prefix.length)))] = String(host);
  Object.assign(out, env);
  const ownPath = (container.env ?? []).some((e) => e.name === 'PATH');
  if (image?.path?.length && !ownPath) out.PATH = [...image.path, env.PATH ?? ''].filter(Boolean).join(':');
  return out;
}

/** The program to exec for argv[0]: the image's stand-in when an absolute path is not on the host. */
export function imageProgram(image: ResolvedImage | undefined, program: string): string {
  if (!image?.path?.length || !program.startsWith('/') || fs.existsSync(program)) return program;
  const base = path.basename(program);
  for (const dir of image.path) {
    const candidate = path.join(dir, base);
    if (fs.existsSync(candidate)) return candidate;
  }
  return program;
}
