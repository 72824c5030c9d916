// The log of one container instance: its stdout and stderr, appended to
// <pod dir>/logs/<container>/<instance>.log, rotated past a size cap with one older part kept
// (<instance>.log.1). Writes are synchronous, so a reader that reads the file and then subscribes,
// in the same tick, misses nothing and sees nothing twice.

import { EventEmitter } from 'node:events';
import fs from 'node:fs';
import path from 'node:path';

export const LOG_ROTATE_BYTES = 10 * 1024 * 1024;

export function containerLogDir(podDir: string, container: string): string {
  return path.join(podDir, 'logs', container);
}

export function containerLogPath(podDir: string, container: string, instance: number): string {
  return path.join(containerLogDir(podDir, container), `${instance}.log`);
}

/** Everything an instance's log holds now: the rotated part, then the current file. */
export function readLogFile(file: string): Buffer {
  const parts: Buffer[] = [];
  for (const p of [`${file}.1`, file]) {
    try {
      parts.push(fs.readFileSync(p));
    } catch {
      // no such part
    }
  }
  return Buffer.concat(parts);
}

export function removeLog(file: string): void {
  for (const p of [file, `${file}.1`]) fs.rmSync(p, { force: true });
}

export interface LogEvents {
  data: [Buffer];
  close: [];
}

export class ContainerLog extends EventEmitter<LogEvents> {
  private fd: number | undefined;
  private size = 0;
  private failed = false;

  constructor(
    readonly file: string,
    private readonly maxBytes = LOG_ROTATE_BYTES,
    private readonly onError: (err: Error) => void = () => undefined,
  ) {
    super();
    fs.mkdirSync(path.dirname(file), { recursive: true });
    this.fd = fs.openSync(file, 'a');
    this.size = fs.fstatSync(this.fd).size;
  }

  get closed(): boolean {
    return this.fd === undefined;
  }

  write(chunk: Buffer): void {
    if (this.fd === undefined || chunk.length === 0) return;
    try {
      if (this.size + chunk.length > this.maxBytes && this.size > 0) this.rotate();
      fs.writeSync(this.fd, chunk);
      this.size += chunk.length;
    } catch (err) {
      // A full disk must not take the agent down; the log just stops growing.
      if (!this.failed) this.onError(err as Error);
      this.failed = true;
    }
    this.emit('data', chunk);
  }

  private rotate(): void {
    fs.closeSync(this.fd!);
    fs.renameSync(this.file, `${this.file}.1`);
    this.fd = fs.openSync(this.file, 'a');
    this.size = 0;
  }

  close(): void {
    if (this.fd === undefined) return;
    try {
      fs.closeSync(this.fd);
    } catch {
      // already closed
    }
    this.fd = undefined;
    this.emit('close');
    this.removeAllListeners();
  }
}
