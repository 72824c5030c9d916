// Why a container ended, in its own words: what it wrote at its terminationMessagePath (the
// container's /dev/termination-log by default), else, with FallbackToLogsOnError and a failed
// exit, the tail of its log; the kubelet reports it as state.terminated.message.

import fs from 'node:fs';
import type { Readable } from 'node:stream';
import type { Container } from '@kip/shared';
import { lastLines } from './log-stream.js';
import { DEFAULT_TERMINATION_MESSAGE_PATH, hostPathOf, type SandboxSpec } from './sandbox.js';

/** Kubernetes' limits: a termination message of 4096 bytes, a log fallback of 2048 bytes or 80 lines. */
const TERMINATION_MESSAGE_MAX_BYTES = 4096;
const FALLBACK_LOG_MAX_BYTES = 2048;
const FALLBACK_LOG_MAX_LINES = 80;
/** How long the log may take to receive the last bytes of the program's pipes. */
const DRAIN_MS = 200;

export interface TerminationMessageSource {
  container: Container;
  exitCode: number;
  podDir: string;
  /** The run's sandbox, where the path inside is found; none on the bare host. */
  sandbox?: SandboxSpec;
  logFile: string;
  /** The program's output pipes: the log is complete once they have ended. */
  output: Readable[];
}

/** The last maxBytes of a file, as text. */
export function readTail(file: string, maxBytes: number): string {
  const fd = fs.openSync(file, 'r');
  try {
    const size = fs.fstatSync(fd).size;
    const len = Math.min(size, maxBytes);
    const buf = Buffer.alloc(len);
    fs.readSync(fd, buf, 0, len, size - len);
    return buf.toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}

function ended(stream: Readable): Promise<void> {
  if (stream.readableEnded || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    stream.once('end', resolve);
    stream.once('close', resolve);
  });
}

/** Where the message file is on the host: in the sandbox, or on the bare host only in the pod's own directory. */
export function terminationMessageFile(src: Pick<TerminationMessageSource, 'container' | 'podDir' | 'sandbox'>): string | undefined {
  const inside = src.container.terminationMessagePath || DEFAULT_TERMINATION_MESSAGE_PATH;
  if (src.sandbox) return hostPathOf(src.sandbox, inside);
  return inside.startsWith(`${src.podDir}/`) ? inside : undefined;
}

export async function readTerminationMessage(src: TerminationMessageSource): Promise<string> {
  const file = terminationMessageFile(src);
  let message = '';
  if (file) {
    try {
      message = readTail(file, TERMINATION_MESSAGE_MAX_BYTES);
    } catch {
      // nothing written there
    }
  }
  if (message || src.exitCode === 0 || src.container.terminationMessagePolicy !== 'FallbackToLogsOnError') return message;
  await Promise.race([Promise.all(src.output.map(ended)), new Promise((resolve) => setTimeout(resolve, DRAIN_MS))]);
  try {
    return lastLines(Buffer.from(readTail(src.logFile, FALLBACK_LOG_MAX_BYTES)), FALLBACK_LOG_MAX_LINES).toString('utf8');
  } catch {
    return '';
  }
}
