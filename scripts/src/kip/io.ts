// Everything the CLI touches outside itself, passed in, so that tests run `main` in-process with
// captured output, a chosen environment, a fixed clock and a way to stop a watch or `logs -f`.

import { Buffer } from 'node:buffer';

export interface TextSink {
  write(chunk: string | Uint8Array): unknown;
}

export interface CliIO {
  stdout: TextSink;
  stderr: TextSink;
  /** The whole of standard input, read when a command is given `-f -`. */
  readStdin(): Promise<string>;
  env: Record<string, string | undefined>;
  /** Relative manifest paths resolve against this. */
  cwd: string;
  /** Wall-clock milliseconds; ages are computed from it. */
  now(): number;
  /** Ends long-running commands (`get -w`, `logs -f`, waits) as Ctrl-C would, but with exit code 0. */
  signal?: AbortSignal;
}

/**
 * Where the user typed the command. `npm run <script>` runs the script in the package root, so a
 * user in a subdirectory (`cd examples && npm run kip -- apply -f deployment.yaml`) means paths
 * from INIT_CWD, the directory npm was started in.
 */
export function invocationDir(env: Record<string, string | undefined>, cwd: string, script: string): string {
  return env.npm_lifecycle_event === script && env.INIT_CWD ? env.INIT_CWD : cwd;
}

/** The real process: what the `kip` binary runs with. */
export function processIO(): CliIO {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    readStdin: () => readAll(process.stdin),
    env: process.env,
    cwd: invocationDir(process.env, process.cwd(), 'kip'),
    now: () => Date.now(),
  };
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
  return Buffer.concat(chunks).toString('utf8');
}

/** A sink that keeps what is written, for tests and for commands that build output before printing it. */
export class BufferSink implements TextSink {
  private readonly chunks: string[] = [];
  private readonly waiters: { test: (s: string) => boolean; resolve: () => void }[] = [];

  write(chunk: string | Uint8Array): boolean {
    this.chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    if (this.waiters.length > 0) {
      const text = this.text();
      for (const w of [...this.waiters]) {
        if (w.test(text)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    }
    return true;
  }

  text(): string {
    return this.chunks.join('');
  }

  /** Resolves once the captured text satisfies `test`, so tests wait on output instead of sleeping. */
  until(test: (text: string) => boolean, timeoutMs: number): Promise<void> {
    if (test(this.text())) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(new Error(`timed out after ${timeoutMs}ms waiting for output; got:\n${this.text()}`));
      }, timeoutMs);
      const waiter = {
        test,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      this.waiters.push(waiter);
    });
  }
}

export interface BufferIOOptions {
  stdin?: string;
  env?: Record<string, string | undefined>;
  cwd?: string;
  now?: () => number;
  signal?: AbortSignal;
}

export interface BufferedIO extends CliIO {
  stdout: BufferSink;
  stderr: BufferSink;
}

/** An IO whose output is captured, for running `main` in-process. */
export function bufferIO(opts: BufferIOOptions = {}): BufferedIO {
  return {
    stdout: new BufferSink(),
    stderr: new BufferSink(),
    readStdin: async () => opts.stdin ?? '',
    env: opts.env ?? {},
    cwd: opts.cwd ?? process.cwd(),
    now: opts.now ?? (() => Date.now()),
    ...(opts.signal ? { signal: opts.signal } : {}),
  };
}
