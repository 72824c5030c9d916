// Writes the files of a configMap, secret, downwardAPI or projected volume so that a reader never
// sees half an update, as Kubernetes' AtomicWriter does: each version of the files goes into its
// own hidden directory `..<timestamp>`, the symlink `..data` is swapped to it in one rename, and
// each visible name is a symlink through `..data`:
//
//   <dir>/..2026_12_02_10_00_00.123456789/config.yaml
//   <dir>/..data -> ..2026_12_02_10_00_00.123456789
//   <dir>/config.yaml -> ..data/config.yaml
//
// A reader that opens `config.yaml` resolves `..data` once and gets one version whole.

import fs from 'node:fs';
import path from 'node:path';

export interface VolumeFile {
  data: Buffer;
  /** permission bits, e.g. 0o644 */
  mode: number;
}

/** Relative path -> contents; paths were checked relative and free of '..' by validation. */
export type VolumePayload = Map<string, VolumeFile>;

const DATA_DIR = '..data';
const DATA_TMP = '..data_tmp';

let counter = 0;

function versionDirName(now: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  const ts = `${now.getUTCFullYear()}_${p(now.getUTCMonth() + 1)}_${p(now.getUTCDate())}_${p(now.getUTCHours())}_${p(now.getUTCMinutes())}_${p(now.getUTCSeconds())}`;
  counter = (counter + 1) % 1_000_000;
  return `..${ts}.${p(now.getUTCMilliseconds(), 3)}${p(counter, 6)}`;
}

/** The files under a version directory, as relative paths. */
function listFiles(dir: string, base = ''): string[] {
  const out: string[] = [];
  for (const e of fs.readdirSync(path.join(dir, base), { withFileTypes: true })) {
    const rel = base ? `${base}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...listFiles(dir, rel));
    else out.push(rel);
  }
  return out;
}

/** Whether a version directory holds exactly the payload, bytes and modes. */
function holds(dir: string, payload: VolumePayload): boolean {
  try {
    const files = listFiles(dir);
    if (files.length !== payload.size) return false;
    for (const [rel, f] of payload) {
      const file = path.join(dir, rel);
      if ((fs.statSync(file).mode & 0o777) !== f.mode) return false;
      if (!fs.readFileSync(file).equals(f.data)) return false;
    }
    return true;
  } catch {
    return false;
  }
}

/** The top-level names of a payload: what gets a visible symlink. */
function topLevelNames(payload: VolumePayload): Set<string> {
  return new Set([...payload.keys()].map((p) => p.split('/')[0]!));
}

/**
 * Makes `dir` hold exactly `payload`, atomically for readers. Answers whether anything changed
 * (the same payload again writes nothing).
 */
export function writeAtomically(dir: string, payload: VolumePayload, now = new Date()): boolean {
  fs.mkdirSync(dir, { recursive: true });
  const dataLink = path.join(dir, DATA_DIR);
  let oldVersion: string | undefined;
  try {
    oldVersion = fs.readlinkSync(dataLink);
  } catch {
    oldVersion = undefined;
  }
  if (oldVersion && holds(path.join(dir, oldVersion), payload)) return false;

  const version = versionDirName(now);
  const versionDir = path.join(dir, version);
  fs.mkdirSync(versionDir, { mode: 0o755 });
  for (const [rel, f] of payload) {
    const file = path.join(versionDir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
    fs.writeFileSync(file, f.data, { mode: f.mode });
    // The process umask may have taken bits off.
    fs.chmodSync(file, f.mode);
  }

  // The swap: a new symlink renamed over the old one is atomic.
  const tmpLink = path.join(dir, DATA_TMP);
  fs.rmSync(tmpLink, { force: true });
  fs.symlinkSync(version, tmpLink);
  fs.renameSync(tmpLink, dataLink);

  const names = topLevelNames(payload);
  for (const name of names) {
    const link = path.join(dir, name);
    try {
      if (fs.readlinkSync(link) === path.join(DATA_DIR, name)) continue;
    } catch {
      // not there yet
    }
    fs.rmSync(link, { recursive: true, force: true });
    fs.symlinkSync(path.join(DATA_DIR, name), link);
  }
  // Names the new version no longer has, and the old version itself.
  for (const entry of fs.readdirSync(dir)) {
    if (entry.startsWith('..')) {
      if (entry !== DATA_DIR && entry !== version) fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
    } else if (!names.has(entry)) fs.rmSync(path.join(dir, entry), { recursive: true, force: true });
  }
  return true;
}
