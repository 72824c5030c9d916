// What a container runs: its image's entrypoint and cmd, overridden by the container's command and
// args exactly as Kubernetes overrides ENTRYPOINT and CMD, with $(VAR) references expanded.

import fs from 'node:fs';
import path from 'node:path';
import type { Container } from '@kip/shared';
import { expandVars } from './env.js';

export interface ImageDefaults {
  entrypoint: string[];
  cmd: string[];
}

/**
 * The argv of a container:
 * - command and args given: command + args;
 * - command only: command (the image's cmd is dropped, as Kubernetes does);
 * - args only: the image's entrypoint + args;
 * - neither: the image's entrypoint + cmd.
 */
export function containerArgv(container: Container, image: ImageDefaults | undefined, env: Record<string, string>): string[] {
  const command = container.command && container.command.length > 0 ? container.command : undefined;
  const args = container.args;
  let argv: string[];
  if (command) argv = [...command, ...(args ?? [])];
  else argv = [...(image?.entrypoint ?? []), ...(args ?? image?.cmd ?? [])];
  return argv.map((a) => expandVars(a, env));
}

export class StartError extends Error {
  readonly code = 'StartError';
}

function isExecutableFile(p: string): boolean {
  try {
    const st = fs.statSync(p);
    if (!st.isFile()) return false;
    fs.accessSync(p, fs.constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Resolves a program the way exec does (a name with a slash is a path, else it is searched on PATH). */
export function lookPath(file: string, envPath: string, cwd: string): string {
  if (!file) throw new StartError('exec: no command given: the container has no command and its image no entrypoint');
  if (file.includes('/')) {
    const p = path.resolve(cwd, file);
    if (!fs.existsSync(p)) throw new StartError(`exec: "${file}": stat ${file}: no such file or directory`);
    if (!isExecutableFile(p)) throw new StartError(`exec: "${file}": permission denied`);
    return p;
  }
  for (const dir of envPath.split(':')) {
    const p = path.resolve(cwd, dir || '.', file);
    if (isExecutableFile(p)) return p;
  }
  throw new StartError(`exec: "${file}": executable file not found in $PATH`);
}
