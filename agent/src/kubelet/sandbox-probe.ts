// Whether this machine lets an ordinary process build a container's sandbox, asked once per agent:
// a real try, in a scratch directory, of what every container will do (unshare user, mount and
// UTS namespaces, overlay each top-level directory, name the host). Where the kernel refuses, pods
// run on the bare host, and their status says why.

import { execFile, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { DEV_DIRS, DEV_NODES, fstabEscape, type HostLayout, KERNEL_DIRS, SKIPPED_DIRS } from './sandbox.js';

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

// Run inside the namespaces as `sh -c PROBE probe FSTAB MOUNT`: one `mount -a` tries every
// overlay, then the mount points that came up are listed (a shell builtin loop, no process each).
// The hostname is set first, and a refusal ends the probe.
const PROBE = `printf kip-probe > /proc/sys/kernel/hostname || { echo "cannot set the hostname in a UTS namespace" >&2; exit 3; }
"$2" -a -T "$1" 2>/dev/null
while read -r _ _ _ _ mp _; do echo "$mp"; done < /proc/self/mountinfo`;

interface ProbePlan {
  layout: HostLayout;
  candidates: string[];
  scratch: string;
  args: string[];
}

function plan(scratchDir: string): ProbePlan | { available: false; reason: string } {
  try {
    return planOrThrow(scratchDir);
  } catch (err) {
    return { available: false, reason: `cannot prepare the probe: ${(err as Error).message}` };
  }
}

/** What the probe's answer depends on, read without writing anything: the host's layout as a sandbox would see it. */
export interface HostFacts {
  /** The layout, its overlay still empty: which directories take an overlay is what the probe finds out. */
  layout: HostLayout;
  /** The top-level directories the probe tries to overlay. */
  candidates: string[];
}

/** The host's facts, or why no sandbox can be tried here at all. */
export function hostFacts(): HostFacts | { available: false; reason: string } {
  if (process.platform !== 'linux') return { available: false, reason: `${process.platform} has no Linux namespaces` };
  const unshare = findProgram('unshare');
  const mount = findProgram('mount');
  const nsenter = findProgram('nsenter');
  if (!unshare || !mount || !nsenter) return { available: false, reason: 'util-linux unshare, mount and nsenter are needed' };
  const exists = (p: string) => fs.existsSync(p);
  const layout: HostLayout = {
    overlay: [],
    bind: [],
    links: {},
    devNodes: DEV_NODES.filter((n) => exists(`/dev/${n}`)),
    devDirs: DEV_DIRS.filter((d) => exists(`/dev/${d}`)),
    unshare,
    mount,
    nsenter,
  };
  const candidates: string[] = [];
  for (const e of fs.readdirSync('/', { withFileTypes: true })) {
    if (SKIPPED_DIRS.includes(e.name)) continue;
    if (e.isSymbolicLink()) layout.links[e.name] = fs.readlinkSync(path.join('/', e.name));
    else if (!e.isDirectory()) continue;
    else if (KERNEL_DIRS.includes(e.name)) layout.bind.push(e.name);
    else candidates.push(e.name);
  }
  return { layout, candidates };
}

function planOrThrow(scratchDir: string): ProbePlan | { available: false; reason: string } {
  const facts = hostFacts();
  if (!('layout' in facts)) return facts;
  const { layout, candidates } = facts;
  const mount = layout.mount;
  const scratch = path.join(scratchDir, `.sandbox-probe-${process.pid}`);
  const lines: string[] = [];
  for (const d of candidates) {
    for (const sub of ['u', 'w', 'm']) fs.mkdirSync(path.join(scratch, sub, d), { recursive: true });
    const opts = `lowerdir=/${d},upperdir=${path.join(scratch, 'u', d)},workdir=${path.join(scratch, 'w', d)}`;
    lines.push(`overlay ${fstabEscape(path.join(scratch, 'm', d))} overlay ${opts} 0 0`);
  }
  fs.writeFileSync(path.join(scratch, 'fstab'), `${lines.join('\n')}\n`);
  const args = ['--user', '--map-root-user', '--mount', '--uts', '/bin/sh', '-c', PROBE, 'probe', path.join(scratch, 'fstab'), mount];
  return { layout, candidates, scratch, args };
}

function conclude(p: ProbePlan, r: { error?: Error; status: number | null; signal?: string | null; stdout: string; stderr: string }): SandboxSupport {
  if (r.error) return { available: false, reason: r.error.message };
  if (r.status !== 0)
    return {
      available: false,
      reason: (r.stderr || `unshare exited with ${r.status ?? r.signal}`)
        .trim()
        .replace(/^unshare: /, '')
        .split('\n')[0]!,
    };
  const mounted = new Set(r.stdout.split('\n'));
  p.layout.overlay = p.candidates.filter((d) => mounted.has(path.join(p.scratch, 'm', d)));
  if (!p.layout.overlay.includes('usr')) return { available: false, reason: 'overlayfs cannot be mounted in a user namespace' };
  return { available: true, layout: p.layout };
}

/** The machine does not change while the process runs: one blocking probe per process is enough. */
let probed: SandboxSupport | undefined;

/** Probes once per process, blocking: the layout a sandbox gets on this machine, or why there is none. */
export function probeSandbox(scratchDir: string): SandboxSupport {
  probed ??= probeNow(scratchDir);
  return probed;
}

function probeNow(scratchDir: string): SandboxSupport {
  const p = plan(scratchDir);
  if (!('layout' in p)) return p;
  try {
    const r = spawnSync(p.layout.unshare, p.args, { encoding: 'utf8', timeout: 10_000 });
    return conclude(p, { ...r, error: r.error });
  } finally {
    fs.rmSync(p.scratch, { recursive: true, force: true });
  }
}

/** Probes once without blocking the event loop (the agent, before it joins the cluster). */
export async function probeSandboxAsync(scratchDir: string): Promise<SandboxSupport> {
  const p = plan(scratchDir);
  if (!('layout' in p)) return p;
  try {
    const r = await new Promise<{ error?: Error; status: number | null; stdout: string; stderr: string }>((resolve) => {
      execFile(p.layout.unshare, p.args, { encoding: 'utf8', timeout: 10_000 }, (err, stdout, stderr) => {
        const code = err ? ((err as { code?: unknown }).code ?? 1) : 0;
        resolve(typeof code === 'number' ? { status: code, stdout, stderr } : { error: err!, status: null, stdout, stderr });
      });
    });
    return conclude(p, r);
  } finally {
    fs.rmSync(p.scratch, { recursive: true, force: true });
  }
}
