// Each container's own view of the machine, without root: its own user, mount and UTS namespaces
// (util-linux `unshare`), in which the host's directories are writable overlays whose upper layer
// is the pod's, `/tmp` is the pod's own directory, volumes are bind-mounted at their mountPath, and
// the hostname is the pod's.
//
// The container's program keeps the pid the agent spawned: `unshare` enters the new namespaces and
// execs a small setup script, which mounts everything in one `mount -a` (one process for all the
// mounts, from an fstab written for the run), names the host, and execs `unshare --root` (a
// chroot into the rebuilt tree) which execs the program. No pid namespace is made, so the
// program stays in the process group the agent made: signals, the lifeline watcher, memory
// sampling and logs work as they do on the bare host.
//
// The rebuilt tree lives in <podDir>/sandbox/: rootfs/ (only mount points and the host's top-level
// symlinks), upper/<dir> (what the pod's containers wrote, shared by them) and work/<container>/
// (overlayfs' scratch, one per container: two live mounts cannot share one).

import fs from 'node:fs';
import path from 'node:path';

/** A volume mounted into a container: hostDir (or its subPath) appears at mountPath. */
export interface Mount {
  name: string;
  hostDir: string;
  mountPath: string;
  readOnly: boolean;
  subPath?: string;
}

/** What the host's root holds, as a sandbox rebuilds it; probed once per agent (sandbox-probe.ts). */
export interface HostLayout {
  /** Top-level directories seen through a writable overlay (usr, etc, var, ...). */
  overlay: string[];
  /** Top-level directories bound as they are, recursively (proc, sys): the kernel's own. */
  bind: string[];
  /** The device nodes of /dev a container gets (null, zero, tty, ...), bound from the host's. */
  devNodes: string[];
  /** The directories of /dev a container gets (pts, shm), bound from the host's. */
  devDirs: string[];
  /** Top-level symlinks (bin -> usr/bin), recreated in the tree. */
  links: Record<string, string>;
  /** Absolute paths of the util-linux programs used. */
  unshare: string;
  mount: string;
  nsenter: string;
}

/** One container's sandbox. */
export interface SandboxSpec {
  podDir: string;
  container: string;
  hostname: string;
  /** The program's working directory, as seen inside. */
  cwd: string;
  mounts: Mount[];
  /** Host directories the container must see at their own paths, read-only (where its image's programs are). */
  hostDirs?: string[];
  layout: HostLayout;
}

/** Directories bound from the host rather than overlaid: the kernel's views, whose contents are not files. */
export const KERNEL_DIRS = ['proc', 'sys'];
/**
 * Top-level entries a sandbox leaves out or makes itself: /tmp is the pod's own, /dev the
 * container's own (so that /dev/termination-log is a file of the container, as in Kubernetes).
 */
export const SKIPPED_DIRS = ['tmp', 'dev', 'lost+found'];
/** What a container's /dev holds of the host's, as container runtimes give it. */
export const DEV_NODES = ['null', 'zero', 'full', 'random', 'urandom', 'tty'];
export const DEV_DIRS = ['pts', 'shm', 'mqueue'];
const DEV_LINKS: Record<string, string> = {
  fd: '/proc/self/fd',
  stdin: '/proc/self/fd/0',
  stdout: '/proc/self/fd/1',
  stderr: '/proc/self/fd/2',
  ptmx: 'pts/ptmx',
};
/** Where Kubernetes has a container write why it ended. */
export const DEFAULT_TERMINATION_MESSAGE_PATH = '/dev/termination-log';

export function sandboxPaths(podDir: string, container: string) {
  const base = path.join(podDir, 'sandbox');
  return {
    root: path.join(base, 'rootfs'),
    upper: path.join(base, 'upper'),
    work: path.join(base, 'work', container),
    dev: path.join(base, 'dev', container),
    tmp: path.join(podDir, 'tmp'),
    fstab: path.join(base, `${container}.fstab`),
  };
}

/** fstab's escaping: whitespace and backslashes in a field are written as octal escapes. */
export function fstabEscape(s: string): string {
  return s.replace(/[\\\s]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

/** Where a path inside the container is on the host, below the tree's root; `..` cannot climb out of it. */
export function insideRoot(root: string, p: string): string {
  return path.join(root, path.posix.normalize(`/${p}`));
}

/** The hostname a pod's containers see: spec.hostname, else the pod name, cut to the kernel's 64 bytes. */
export function podHostname(pod: { metadata: { name: string }; spec: { hostname?: string } }): string {
  return (pod.spec.hostname || pod.metadata.name).slice(0, 63);
}

/**
 * The mounts of one container, in order: the host's directories (overlays and kernel binds), the
 * pod's /tmp, the directories its image runs from, the pod's own directory at its path (the
 * default working directory and HOME), then the volumes, which go last so that they cover what
 * is below their mountPath.
 */
export function sandboxFstab(spec: SandboxSpec): string {
  const p = sandboxPaths(spec.podDir, spec.container);
  const lines: string[] = [];
  const line = (source: string, target: string, type: string, options: string[]) =>
    lines.push(`${fstabEscape(source)} ${fstabEscape(target)} ${type} ${options.join(',')} 0 0`);
  for (const d of spec.layout.overlay) {
    const opts = [`lowerdir=/${d}`, `upperdir=${path.join(p.upper, d)}`, `workdir=${path.join(p.work, d)}`];
    // overlayfs' own option syntax: a comma or colon in a path would split it.
    if (opts.some((o) => /[,:\s\\]/.test(o.slice(o.indexOf('=') + 1))))
      throw new Error(`pod directory ${spec.podDir} cannot hold an overlay: its path has a comma, colon or space`);
    line('overlay', path.join(p.root, d), 'overlay', opts);
  }
  for (const d of spec.layout.bind) line(`/${d}`, path.join(p.root, d), 'none', ['rbind']);
  line(p.dev, path.join(p.root, 'dev'), 'none', ['bind']);
  for (const n of spec.layout.devNodes) line(`/dev/${n}`, path.join(p.root, 'dev', n), 'none', ['bind']);
  for (const d of spec.layout.devDirs) line(`/dev/${d}`, path.join(p.root, 'dev', d), 'none', ['rbind']);
  line(p.tmp, path.join(p.root, 'tmp'), 'none', ['bind', 'X-mount.mkdir']);
  for (const d of spec.hostDirs ?? []) line(d, insideRoot(p.root, d), 'none', ['bind', 'ro', 'X-mount.mkdir']);
  line(spec.podDir, insideRoot(p.root, spec.podDir), 'none', ['bind', 'X-mount.mkdir']);
  for (const m of spec.mounts) {
    const source = m.subPath ? path.join(m.hostDir, path.posix.normalize(`/${m.subPath}`)) : m.hostDir;
    line(source, insideRoot(p.root, m.mountPath), 'none', ['bind', 'X-mount.mkdir', ...(m.readOnly ? ['ro'] : [])]);
  }
  return `${lines.join('\n')}\n`;
}

// Runs inside the new namespaces as `sh -c SETUP kip-sandbox FSTAB HOSTNAME ROOT CWD UNSHARE MOUNT ARGV...`.
// The hostname is written to /proc (no process for it); a working directory that does not exist
// is made, as Kubernetes makes workingDir.
export const SANDBOX_SETUP = `"$6" -a -T "$1" || { echo "kip: cannot set up the container's sandbox: mount -a -T $1 failed" >&2; exit 128; }
printf %s "$2" > /proc/sys/kernel/hostname || exit 128
[ -d "$3$4" ] || mkdir -p "$3$4" || exit 128
r=$3 w=$4 u=$5
shift 6
exec "$u" --root="$r" --wd="$w" -- "$@"`;

/** The argv that runs `argv` in a new sandbox described by spec (after prepareSandbox). */
export function sandboxArgv(spec: SandboxSpec, argv: string[]): string[] {
  const p = sandboxPaths(spec.podDir, spec.container);
  const { unshare, mount } = spec.layout;
  return [
    unshare,
    '--user',
    '--map-root-user',
    '--mount',
    '--uts',
    '/bin/sh',
    '-c',
    SANDBOX_SETUP,
    'kip-sandbox',
    p.fstab,
    spec.hostname,
    p.root,
    spec.cwd,
    unshare,
    mount,
    ...argv,
  ];
}

/** Makes the tree's directories and symlinks and writes the run's fstab: what sandboxArgv needs on disk. */
export function prepareSandbox(spec: SandboxSpec): void {
  const p = sandboxPaths(spec.podDir, spec.container);
  fs.mkdirSync(p.root, { recursive: true });
  fs.mkdirSync(p.tmp, { recursive: true, mode: 0o1777 });
  for (const d of [...spec.layout.overlay, ...spec.layout.bind, 'dev']) fs.mkdirSync(path.join(p.root, d), { recursive: true });
  prepareDev(p.dev, spec.layout);
  for (const d of spec.layout.overlay) {
    fs.mkdirSync(path.join(p.upper, d), { recursive: true });
    fs.mkdirSync(path.join(p.work, d), { recursive: true });
  }
  for (const [name, target] of Object.entries(spec.layout.links)) {
    const at = path.join(p.root, name);
    try {
      fs.symlinkSync(target, at);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  fs.writeFileSync(p.fstab, sandboxFstab(spec));
}

/** The container's own /dev: mount points for the host's nodes and directories, its links, and an empty termination log. */
function prepareDev(dev: string, layout: HostLayout): void {
  fs.mkdirSync(dev, { recursive: true });
  for (const n of layout.devNodes) fs.closeSync(fs.openSync(path.join(dev, n), 'a'));
  for (const d of layout.devDirs) fs.mkdirSync(path.join(dev, d), { recursive: true });
  for (const [name, target] of Object.entries(DEV_LINKS)) {
    try {
      fs.symlinkSync(target, path.join(dev, name));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
  }
  // Each run starts with an empty message: what is there at its end is that run's.
  fs.writeFileSync(path.join(dev, 'termination-log'), '');
}

/**
 * Where a path inside the container is on the host, for the kubelet to read (the termination
 * message): the container's /dev and /tmp, a volume, the pod's directory, or what the container
 * wrote over the host's directories (an overlay's upper layer). Undefined when the container
 * cannot have written it.
 */
export function hostPathOf(spec: Pick<SandboxSpec, 'podDir' | 'container' | 'mounts' | 'layout'>, inside: string): string | undefined {
  const p = sandboxPaths(spec.podDir, spec.container);
  const target = path.posix.normalize(`/${inside}`);
  const under = (dir: string) => (target === dir ? '' : target.startsWith(`${dir}/`) ? target.slice(dir.length + 1) : undefined);
  // Volumes are mounted last, so they cover the rest.
  for (const m of [...spec.mounts].reverse()) {
    const rest = under(path.posix.normalize(`/${m.mountPath}`).replace(/\/$/, ''));
    if (rest !== undefined) return path.join(m.subPath ? path.join(m.hostDir, path.posix.normalize(`/${m.subPath}`)) : m.hostDir, rest);
  }
  const inPod = under(spec.podDir);
  if (inPod !== undefined) return path.join(spec.podDir, inPod);
  const inTmp = under('/tmp');
  if (inTmp !== undefined) return path.join(p.tmp, inTmp);
  const inDev = under('/dev');
  if (inDev !== undefined) return path.join(p.dev, inDev);
  const top = target.split('/')[1] ?? '';
  if (spec.layout.overlay.includes(top)) return path.join(p.upper, target);
  return undefined;
}

/**
 * Resolves once the sandboxed process `pid` has entered its tree (its root is no longer the
 * host's), or is gone, or after timeoutMs: a command entered into its namespaces before that
 * would see the host's /tmp. The setup takes a few milliseconds; this polls /proc, which costs
 * no process.
 */
export async function sandboxEntered(pid: number, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (let waitMs = 2; Date.now() < until; waitMs = Math.min(waitMs * 2, 50)) {
    try {
      if (fs.readlinkSync(`/proc/${pid}/root`) !== '/') return;
    } catch {
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, waitMs));
  }
}

/**
 * The argv that runs `argv` inside the namespaces of the sandboxed process `pid` (exec probes,
 * exec hooks): its user, mount and UTS namespaces, its root, and `cwd` as seen inside.
 */
export function sandboxExecArgv(nsenter: string, pid: number, cwd: string, argv: string[]): string[] {
  return [nsenter, `--target=${pid}`, '--user', '--mount', '--uts', '--preserve-credentials', '--root', `--wdns=${cwd}`, '--', ...argv];
}
