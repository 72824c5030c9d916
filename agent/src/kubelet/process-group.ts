// One container = one process group, tied to the agent's life.
//
// The agent starts `/bin/sh -c WATCHER kip-container ARGV...` in a new session (its pid is the
// group id). The shell forks a watcher that ignores SIGTERM and blocks reading fd 3, a socket
// whose other end only the agent holds, then execs the container's program in its place, so the
// program keeps the group leader's pid and its exit status reaches the agent directly. When the
// agent dies, however it dies, the kernel closes the agent's end, the watcher's read returns, and
// it SIGKILLs the whole group: a killed agent is a failed node, with no orphans left behind.
// The shell writes the watcher's pid on fd 3 first: a CPU limit stops the group (cpu-throttle.ts)
// but keeps the watcher running, so that a stopped group still dies with the agent.
// The agent's end is close-on-exec (libuv opens it so), so no other child inherits it and keeps a
// group alive; the program itself gets fd 3 closed.

import type { Readable, Duplex, Writable } from 'node:stream';
import { spawn } from 'node:child_process';
import { groupReaper, processTable, signalGroup } from './proc.js';

const WATCHER = `( trap '' TERM INT HUP; read -r _ <&3; kill -KILL 0 ) </dev/null >/dev/null 2>&1 &
echo $! >&3
exec "$@" 3<&-`;

export interface SpawnGroupOptions {
  /** argv[0] is looked up on the PATH of env, as exec does. */
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  /** A pipe for the program's stdin (exec -i); containers read nothing. */
  stdin?: boolean;
}

export interface GroupExit {
  /** Exit code, or 128 + signal number when a signal ended it, as container runtimes report. */
  exitCode: number;
  signal: NodeJS.Signals | null;
}

const SIGNAL_NUMBERS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGABRT: 6, SIGKILL: 9, SIGSEGV: 11, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15 };

export function exitCodeOf(code: number | null, signal: NodeJS.Signals | null): number {
  if (code !== null) return code;
  return 128 + (signal ? (SIGNAL_NUMBERS[signal] ?? 0) : 0);
}

/** A container's running program as the container worker sees it: a ProcessGroup, or a stand-in in tests. */
export interface ContainerProcess {
  readonly pid: number;
  readonly stdout: Readable;
  readonly stderr: Readable;
  /** The program's stdin, when it was spawned with one (a container with `stdin: true`). */
  readonly stdin?: Writable;
  readonly exited: Promise<GroupExit>;
  signal(sig: NodeJS.Signals): boolean;
  /** The pid of the group's lifeline watcher, once the group has said it (a stand-in has none). */
  readonly watcherPid?: number | undefined;
  /** After the program exited: resolves when nothing of its group is left. */
  release(): Promise<void>;
}

/** Every live group a kubelet started, so that a dying agent can SIGKILL them all synchronously. */
export class GroupRegistry {
  private readonly live = new Set<ProcessGroup>();
  add(g: ProcessGroup): void {
    this.live.add(g);
  }
  delete(g: ProcessGroup): void {
    this.live.delete(g);
  }
  killAll(): void {
    for (const g of this.live) g.signal('SIGKILL');
  }
  get size(): number {
    return this.live.size;
  }
}

export class ProcessGroup implements ContainerProcess {
  /** The program's pid, which is also the group id. */
  readonly pid: number;
  readonly stdout: Readable;
  readonly stderr: Readable;
  readonly stdin: Writable | undefined;
  /** Resolves when the program (the group leader) exits; other members may still be alive. */
  readonly exited: Promise<GroupExit>;
  private readonly lifeline: Duplex;
  watcherPid: number | undefined;
  private gone: Promise<void> | undefined;

  private constructor(
    pid: number,
    stdout: Readable,
    stderr: Readable,
    lifeline: Duplex,
    exited: Promise<GroupExit>,
    private readonly registry: GroupRegistry,
    stdin?: Writable,
  ) {
    this.pid = pid;
    this.stdin = stdin;
    this.stdout = stdout;
    this.stderr = stderr;
    this.lifeline = lifeline;
    this.exited = exited;
    registry.add(this);
    let said = '';
    const hear = (d: Buffer) => {
      said += d.toString('latin1');
      const line = /^(\d+)\n/.exec(said);
      if (!line && said.length < 32) return;
      lifeline.off('data', hear);
      if (line) this.watcherPid = Number(line[1]);
    };
    lifeline.on('data', hear);
  }

  /** Starts the program in its own group; throws (with the system's reason) if it cannot be started. */
  static spawn(opts: SpawnGroupOptions, registry: GroupRegistry): ProcessGroup {
    // A plain spawn: what a container needs is exactly Node's, and on the hot path of every pod
    // start the wrapper execa adds cost 3-4 ms of CPU per spawn, and 150 ms to every agent's start.
    const child = spawn('/bin/sh', ['-c', WATCHER, 'kip-container', ...opts.argv], {
      cwd: opts.cwd,
      env: opts.env,
      detached: true,
      stdio: [opts.stdin ? 'pipe' : 'ignore', 'pipe', 'pipe', 'pipe'],
    });
    // A spawn that fails (its working directory vanished) says so here, after pid came back undefined.
    child.on('error', () => undefined);
    const pid = child.pid;
    // Before any look at /proc can pass the pids of what it forks (see ProcessTable).
    if (pid !== undefined) processTable.track(pid);
    const lifeline = child.stdio[3] as Duplex | undefined;
    if (pid === undefined || !child.stdout || !child.stderr || !lifeline) {
      throw new Error(`cannot start process: /bin/sh could not be spawned in ${opts.cwd}`);
    }
    // Nothing is ever read or written on the lifeline; an error on it only means the watcher is gone.
    lifeline.on('error', () => undefined);
    child.stdout.on('error', () => undefined);
    child.stderr.on('error', () => undefined);
    const exited = new Promise<GroupExit>((resolve) => {
      child.once('exit', (code, signal) => resolve({ exitCode: exitCodeOf(code, signal), signal }));
    });
    return new ProcessGroup(pid, child.stdout, child.stderr, lifeline, exited, registry, child.stdin ?? undefined);
  }

  /**
   * Signals every process in the group; false if none is left. A catchable signal is followed by
   * SIGCONT, as systemd does, so that a group stopped by a chaos pause handles its SIGTERM now
   * instead of when the pause ends.
   */
  signal(sig: NodeJS.Signals): boolean {
    const sent = signalGroup(this.pid, sig);
    if (sent && sig !== 'SIGKILL' && sig !== 'SIGSTOP' && sig !== 'SIGCONT') signalGroup(this.pid, 'SIGCONT');
    return sent;
  }

  /**
   * After the leader has exited: drops the lifeline so that the watcher SIGKILLs whatever is left
   * of the group (children the program forked and left behind), and resolves when no live member
   * remains and the output pipes have drained.
   */
  release(): Promise<void> {
    this.gone ??= (async () => {
      await this.exited;
      this.lifeline.destroy();
      await groupReaper.waitGone(this.pid);
      this.registry.delete(this);
      // Every writer of the pipes is gone now (unless one escaped the group); give the last
      // bytes a moment to be read, then close them regardless.
      await Promise.all([drained(this.stdout, 500), drained(this.stderr, 500)]);
    })();
    return this.gone;
  }
}

function drained(stream: Readable, ms: number): Promise<void> {
  if (stream.destroyed || stream.readableEnded) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      resolve();
    };
    const t = setTimeout(() => {
      stream.destroy();
      resolve();
    }, ms);
    stream.once('close', done);
    stream.once('end', done);
  });
}
