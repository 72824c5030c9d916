// Whether this machine lets an ordinary process build a container's sandbox, asked once per agent:
// a real try, in a scratch directory, of what every container will do (unshare user, mount and
// UTS namespaces, overlay each top-level directory, name the host). Where the kernel refuses, pods
// run on the bare host, and their status says why.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { type HostLayout, KERNEL_DIRS, SKIPPED_DIRS } from './sandbox.js';

export type SandboxSupport = { available: true; layout: HostLayout } | { available: false; reason: string };

/** What a pod's status says of its sandbox (shown by `kip describe pod`). */
export function sandboxDescription(support: SandboxSupport, sandboxed: boolean): string {
  if (support.available) return sandboxed ? 'user+mount+uts namespaces' : 'none (its containers need none)';
  return `none (user namespaces unavailable: ${support.reason})`;
}

const SEARCH = ['/usr/bin', '/bin', '/usr/sbin', '/sbin'];

function findProgram(name: string): string | undefined {
  for (const dir of SEARCH) {
    const p = path.join(dir, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

// Run inside the namespaces as `sh -c PROBE probe SCRATCH DIR...`: each directory that overlays
// is named on stdout; the hostname is set first, and a refusal ends the probe.
const PROBE = `s=$1; shift
printf kip-probe > /proc/sys/kernel/hostname || { echo "cannot set the hostname in a UTS namespace" >&2; exit 3; }
for d in "$@"; do
  mkdir -p "$s/u/$d" "$s/w/$d" "$s/m/$d" && mount -t overlay overlay -o "lowerdir=/$d,upperdir=$s/u/$d,workdir=$s/w/$d" "$s/m/$d" 2>/dev/null && echo "$d"
done`;

/** Probes once: the layout a sandbox gets on this machine, or why there is none. */
export function probeSandbox(scratchDir: string): SandboxSupport {
  if (process.platform !== 'linux') return { available: false, reason: `${process.platform} has no Linux namespaces` };
  const unshare = findProgram('unshare');
  const mount = findProgram('mount');
  const nsenter = findProgram('nsenter');
  if (!unshare || !mount || !nsenter) return { available: false, reason: 'util-linux unshare, mount and nsenter are needed' };
  const layout: HostLayout = { overlay: [], bind: [], links: {}, unshare, mount, nsenter };
  const candidates: string[] = [];
  for (const e of fs.readdirSync('/', { withFileTypes: true })) {
    if (SKIPPED_DIRS.includes(e.name)) continue;
    if (e.isSymbolicLink()) layout.links[e.name] = fs.readlinkSync(path.join('/', e.name));
    else if (!e.isDirectory()) continue;
    else if (KERNEL_DIRS.includes(e.name)) layout.bind.push(e.name);
    else candidates.push(e.name);
  }
  const scratch = path.join(scratchDir, `.sandbox-probe-${process.pid}`);
  try {
    fs.mkdirSync(scratch, { recursive: true });
    const r = spawnSync(unshare, ['--user', '--map-root-user', '--mount', '--uts', '/bin/sh', '-c', PROBE, 'probe', scratch, ...candidates], {
      encoding: 'utf8',
      timeout: 10_000,
    });
    if (r.error) return { available: false, reason: r.error.message };
    if (r.status !== 0)
      return {
        available: false,
        reason: (r.stderr || `unshare exited with ${r.status ?? r.signal}`)
          .trim()
          .replace(/^unshare: /, '')
          .split('\n')[0]!,
      };
    layout.overlay = r.stdout.split('\n').filter((d) => candidates.includes(d));
    if (!layout.overlay.includes('usr')) return { available: false, reason: 'overlayfs cannot be mounted in a user namespace' };
    return { available: true, layout };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}
