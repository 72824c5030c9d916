// A stand-in for a container's process group, for tests that drive the kubelet on a fake clock.

import { PassThrough } from 'node:stream';
import type { ContainerProcess, GroupExit } from '@kip/agent';

/** A program that records its signals; SIGTERM ends it unless it ignores it, SIGKILL always does. */
export class FakeProcess implements ContainerProcess {
  readonly stdout = new PassThrough();
  readonly stderr = new PassThrough();
  readonly exited: Promise<GroupExit>;
  readonly signals: string[] = [];
  released = false;
  private end!: (e: GroupExit) => void;

  constructor(
    readonly pid: number,
    public ignoresTerm = false,
  ) {
    this.exited = new Promise((resolve) => (this.end = resolve));
  }
  exit(exitCode: number): void {
    this.end({ exitCode, signal: null });
  }
  signal(sig: NodeJS.Signals): boolean {
    this.signals.push(sig);
    if (sig === 'SIGKILL' || (sig === 'SIGTERM' && !this.ignoresTerm)) this.exit(sig === 'SIGKILL' ? 137 : 143);
    return true;
  }
  release(): Promise<void> {
    this.released = true;
    return Promise.resolve();
  }
}

/** Lets promise callbacks and pending I/O run. */
export const settle = () => new Promise((r) => setImmediate(r));
