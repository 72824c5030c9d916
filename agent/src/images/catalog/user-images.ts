// Images users add: a YAML or JSON file (the agent's --images, which the launcher sets to
// <data-dir>/images.yaml when it exists) mapping image names to programs on the host:
//
//   images:
//     myapp:1.0:                      # this tag only; "myapp" alone is any tag
//       entrypoint: [/opt/myapp/bin/server]
//       cmd: [--port, "8080"]
//       env: { MODE: demo }
//
// The file is read again whenever it changes, so an image added there can be pulled at once
// (a pod in ImagePullBackOff starts at its next try). Its entries come before the catalog's, so a
// user can also say what "nginx" is on their machine.

import fs from 'node:fs';
import { createRequire } from 'node:module';
import { parseImageReference, type ImageReference } from '../reference.js';

// yaml is loaded on first use, when there is a file to read: it was a quarter of the agent's bundle,
// and every agent paid for loading it at start (as describe.ts does for the CLI). Required at run
// time, it resolves from node_modules, outside the bundle.
const require = createRequire(import.meta.url);
const parseYaml = (text: string): unknown => (require('yaml') as typeof import('yaml')).parse(text);

export interface UserImage {
  /** The key as written ("myapp:1.0"). */
  key: string;
  repository: string;
  /** Only this tag matches; any tag when absent. */
  tag?: string;
  entrypoint: string[];
  cmd: string[];
  env: Record<string, string>;
  description: string;
}

export class UserImagesError extends Error {
  readonly code = 'UserImagesError';
}

const FIELDS = new Set(['entrypoint', 'command', 'cmd', 'args', 'env', 'description']);

function stringList(v: unknown, where: string): string[] {
  if (v === undefined || v === null) return [];
  if (typeof v === 'string') return [v];
  if (!Array.isArray(v) || !v.every((s) => typeof s === 'string' || typeof s === 'number')) throw new UserImagesError(`${where}: must be a list of strings`);
  return v.map(String);
}

/** The entries of an images file; a UserImagesError names the file and the field that is wrong. */
export function parseUserImages(text: string, file: string): UserImage[] {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (err) {
    throw new UserImagesError(`${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (doc === null || doc === undefined) return [];
  if (typeof doc !== 'object' || Array.isArray(doc)) throw new UserImagesError(`${file}: must be a map of image names, under "images:"`);
  const top = doc as Record<string, unknown>;
  const images = 'images' in top && Object.keys(top).length === 1 ? top.images : top;
  if (images === null || images === undefined) return [];
  if (typeof images !== 'object' || Array.isArray(images)) throw new UserImagesError(`${file}: images: must be a map of image names`);
  const out: UserImage[] = [];
  for (const [key, raw] of Object.entries(images as Record<string, unknown>)) {
    const where = `${file}: images["${key}"]`;
    let ref: ImageReference;
    try {
      ref = parseImageReference(key);
    } catch (err) {
      throw new UserImagesError(`${where}: ${(err as Error).message}`);
    }
    if (ref.digest) throw new UserImagesError(`${where}: a digest cannot be mapped; name the image, with a tag or without`);
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UserImagesError(`${where}: must be a map with entrypoint and/or cmd`);
    const e = raw as Record<string, unknown>;
    for (const f of Object.keys(e)) if (!FIELDS.has(f)) throw new UserImagesError(`${where}.${f}: unknown field (known: entrypoint, cmd, env, description)`);
    const entrypoint = stringList(e.entrypoint ?? e.command, `${where}.entrypoint`);
    const cmd = stringList(e.cmd ?? e.args, `${where}.cmd`);
    if (entrypoint.length === 0 && cmd.length === 0) throw new UserImagesError(`${where}: entrypoint or cmd: Required value`);
    const env: Record<string, string> = {};
    if (e.env !== undefined && e.env !== null) {
      if (typeof e.env !== 'object' || Array.isArray(e.env)) throw new UserImagesError(`${where}.env: must be a map of names to values`);
      for (const [k, v] of Object.entries(e.env as Record<string, unknown>)) {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new UserImagesError(`${where}.env.${k}: not a valid environment variable name`);
        if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') throw new UserImagesError(`${where}.env.${k}: must be a string`);
        env[k] = String(v);
      }
    }
    out.push({
      key,
      repository: ref.repository,
      ...(ref.tag !== undefined ? { tag: ref.tag } : {}),
      entrypoint,
      cmd,
      env,
      description: typeof e.description === 'string' ? e.description : `your image: ${[...entrypoint, ...cmd].join(' ')}`,
    });
  }
  return out;
}

/** The images file, read again when its modification time or size changes. */
export class UserImages {
  private stamp = '';
  private entries: UserImage[] = [];
  private error: string | undefined;

  constructor(readonly file: string) {}

  private refresh(): void {
    let st: fs.Stats;
    try {
      st = fs.statSync(this.file);
    } catch {
      this.stamp = '';
      this.entries = [];
      this.error = undefined;
      return;
    }
    const stamp = `${st.mtimeMs}:${st.size}`;
    if (stamp === this.stamp) return;
    this.stamp = stamp;
    try {
      this.entries = parseUserImages(fs.readFileSync(this.file, 'utf8'), this.file);
      this.error = undefined;
    } catch (err) {
      this.entries = [];
      this.error = (err as Error).message;
    }
  }

  /** The file's problem, if it has one (its entries are then ignored). */
  problem(): string | undefined {
    this.refresh();
    return this.error;
  }

  /** The entry for a reference: the one naming its tag first, then the one for any tag. */
  lookup(ref: ImageReference): UserImage | undefined {
    this.refresh();
    const same = this.entries.filter((e) => e.repository === ref.repository);
    return same.find((e) => e.tag !== undefined && e.tag === ref.tag) ?? same.find((e) => e.tag === undefined);
  }

  names(): string[] {
    this.refresh();
    return this.entries.map((e) => e.key);
  }
}
