// `kubectl exec`: a command run beside a running container, as the kubelet's streaming server runs
// it with the container runtime. Here it is a process group of its own with the container's
// environment and working directory, tied to the agent's life like a container, its stdin fed from
// the client and its stdout and stderr streamed back. A terminal (`-t`) is a real pty, made by
// util-linux's script(1), so shells prompt and programs see a tty.

import { existsSync } from 'node:fs';
import { shellQuote } from '../images/stand-ins.js';
import { type GroupRegistry, ProcessGroup } from './process-group.js';

export interface ExecTarget {
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  /** Whether the client sends stdin; without it the command reads end-of-file, as in Kubernetes. */
  stdin: boolean;
  tty: boolean;
}

export interface ExecSink {
  output(stream: 1 | 2, data: Uint8Array): void;
  /** The command ended with exitCode, or could not run (error). Called once. */
  exit(result: { exitCode?: number; error?: string }): void;
}

export interface ExecHandle {
  input(data: Uint8Array): void;
  /** The client closed its stdin. */
  eof(): void;
  /** The client went away: the command is killed. */
  cancel(): void;
}

const SCRIPT = '/usr/bin/script';

/** The argv that runs the command, under a pty when a terminal was asked for and script(1) exists. */
export function execArgv(t: Pick<ExecTarget, 'argv' | 'tty'>, hasScript = existsSync(SCRIPT)): string[] {
  if (!t.tty || !hasScript) return t.argv;
  // -q no banner, -f flush at once, -e the command's exit status, -c the command; no typescript file.
  return [SCRIPT, '-qfec', t.argv.map(shellQuote).join(' '), '/dev/null'];
}

export function startExec(t: ExecTarget, groups: GroupRegistry, sink: ExecSink): ExecHandle {
  let group: ProcessGroup;
  try {
    group = ProcessGroup.spawn({ argv: execArgv(t), env: t.tty ? { TERM: 'xterm', ...t.env } : t.env, cwd: t.cwd, stdin: t.stdin }, groups);
  } catch (err) {
    sink.exit({ error: (err as Error).message });
    return { input: () => undefined, eof: () => undefined, cancel: () => undefined };
  }
  const stdin = group.stdin;
  stdin?.on('error', () => undefined);
  group.stdout.on('data', (d: Buffer) => sink.output(1, d));
  group.stderr.on('data', (d: Buffer) => sink.output(2, d));
  let cancelled = false;
  void group.exited.then(async (e) => {
    await group.release();
    if (!cancelled) sink.exit({ exitCode: e.exitCode });
  });
  return {
    input: (data) => {
      if (stdin && !stdin.destroyed) stdin.write(data);
    },
    eof: () => stdin?.end(),
    cancel: () => {
      cancelled = true;
      group.signal('SIGKILL');
    },
  };
}
