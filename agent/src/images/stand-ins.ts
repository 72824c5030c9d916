// Stand-in executables: small sh scripts, one per command an image brings (`nginx`, `wget`,
// `/agnhost`...), each exec'ing the program that stands for it. A directory of them goes in front
// of a container's PATH, so `command: ["nginx", "-g", "daemon off;"]` finds kip's nginx. They are
// written once per agent data dir, atomically, and rewritten only when their text changes (another
// checkout or node binary), so agents sharing a data dir never see a half-written one.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** A word quoted for sh. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** A stand-in: an argv that the caller's arguments are appended to, or a script of its own. */
export type StandIn = string[] | { sh: string };

export function standInScript(standIn: StandIn): string {
  if (!Array.isArray(standIn)) return `#!/bin/sh\n# written by the kip agent\n${standIn.sh}\n`;
  // Named by the program it runs: the file a `node <file>` runs, or the command itself (not its flags).
  const program = standIn.length > 1 && !standIn[1]!.startsWith('-') ? standIn[1]! : (standIn[0] ?? 'sh');
  return `#!/bin/sh\n# written by the kip agent: this image's "${path.basename(program)}"\nexec ${standIn.map(shellQuote).join(' ')} "$@"\n`;
}

let root = path.join(os.tmpdir(), `kip-image-bin-${process.getuid?.() ?? 0}`);

/** Where stand-in directories go (the agent puts them in its data dir). */
export function setStandInRoot(dir: string): void {
  root = dir;
}

/** Where stand-in directories are: a sandbox keeps it visible at its path. */
export function standInRoot(): string {
  return root;
}

/** The directory `<root>/<family>` holding one stand-in per command. */
export function writeStandIns(family: string, commands: Record<string, StandIn>): string {
  const dir = path.join(root, family);
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, standIn] of Object.entries(commands)) {
    const file = path.join(dir, name);
    const text = standInScript(standIn);
    let current: string | undefined;
    try {
      current = fs.readFileSync(file, 'utf8');
    } catch {
      // not written yet
    }
    if (current === text) continue;
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, text, { mode: 0o755 });
    fs.renameSync(tmp, file);
  }
  return dir;
}

/** The absolute path of `name` on a PATH, as exec would find it. */
export function whichOnPath(name: string, envPath: string | undefined): string | undefined {
  for (const dir of (envPath ?? '').split(':')) {
    if (!dir) continue;
    const p = path.join(dir, name);
    try {
      const st = fs.statSync(p);
      if (!st.isFile()) continue;
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}
