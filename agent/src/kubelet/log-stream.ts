// Serving `kubectl logs`: the bytes of one container instance's log, cut by tailLines and
// limitBytes, then, with follow, what the instance writes next until it exits or the reader stops.

import type { ContainerLog } from './container-logs.js';
import { readLogFile } from './container-logs.js';

export interface LogSink {
  data(chunk: Uint8Array): void;
  end(error?: string): void;
}

export interface LogSelection {
  tailLines?: number;
  limitBytes?: number;
}

/** The last n lines of buf (a last line without a newline counts as a line). */
export function lastLines(buf: Buffer, n: number): Buffer {
  if (n <= 0) return buf.subarray(buf.length);
  let end = buf.length;
  if (end > 0 && buf[end - 1] === 0x0a) end--;
  let count = 0;
  for (let i = end - 1; i >= 0; i--) {
    if (buf[i] === 0x0a) {
      count++;
      if (count === n) return buf.subarray(i + 1);
    }
  }
  return buf;
}

/** tailLines first, then limitBytes from the start of what is left, as the kubelet applies them. */
export function selectLogBytes(buf: Buffer, sel: LogSelection): Buffer {
  let out = sel.tailLines !== undefined ? lastLines(buf, sel.tailLines) : buf;
  if (sel.limitBytes !== undefined && out.length > sel.limitBytes) out = out.subarray(0, Math.max(0, sel.limitBytes));
  return out;
}

const CHUNK = 64 * 1024;

/**
 * Sends an instance's log to the sink; returns a cancel function. The file is read and the live log
 * subscribed to in the same tick, and the writer appends synchronously, so nothing is lost or doubled.
 */
export function streamLog(file: string, live: ContainerLog | undefined, follow: boolean, sel: LogSelection, sink: LogSink): () => void {
  const content = selectLogBytes(readLogFile(file), sel);
  for (let i = 0; i < content.length; i += CHUNK) sink.data(content.subarray(i, i + CHUNK));
  let budget = sel.limitBytes !== undefined ? sel.limitBytes - content.length : Infinity;
  if (!follow || !live || live.closed || budget <= 0) {
    sink.end();
    return () => undefined;
  }
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    live.off('data', onData);
    live.off('close', onClose);
  };
  const onData = (chunk: Buffer) => {
    const part = chunk.length > budget ? chunk.subarray(0, budget) : chunk;
    budget -= part.length;
    sink.data(part);
    if (budget <= 0) {
      finish();
      sink.end();
    }
  };
  const onClose = () => {
    finish();
    sink.end();
  };
  live.on('data', onData);
  live.on('close', onClose);
  return finish;
}
