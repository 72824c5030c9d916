// Raw TCP exchanges, the form of the HTTP and tunnel cases: bytes written in pieces with pauses,
// then the connection is half-closed, left open, or closed. What is checked is the server's side of
// the bargain: within the case's deadline it answers (any byte back) or closes the connection.
// Silence past the deadline is a hang.

import net from 'node:net';

export interface Piece {
  /** bytes to write, or a function that makes them when the case runs (a proof needs the clock) */
  data: Buffer | (() => Buffer);
  /** pause before writing this piece */
  delayMs?: number;
}

export interface RawPlan {
  pieces: Piece[];
  /**
   * After the last piece: 'half-close' ends our side (a truncated request), 'wait' keeps it open
   * (a stalled sender: the server must cut it off by its own timeouts).
   */
  after: 'half-close' | 'wait';
  /** connections opened at once with the same plan (many half-open connections) */
  connections?: number;
  /** from the start of the case: the server must have answered or closed by then */
  deadlineMs: number;
  /**
   * 'answer' (the default): any byte back will do. 'close': the server must close the connection;
   * for bytes past a handshake that succeeds (a WebSocket upgrade), where an answer proves nothing.
   */
  until?: 'answer' | 'close';
}

export interface RawResult {
  /** the server answered (bytes back) or closed, on every connection, within the deadline */
  ok: boolean;
  /** the first line of the answer of the first connection, for the summary ("HTTP/1.1 400 ...") */
  firstLine?: string;
  /** the first bytes of that answer, as latin1 text */
  head?: string;
  /** what happened, in words, when not ok */
  why?: string;
  ms: number;
}

/** Runs one connection of a plan. */
type One = { ok: boolean; firstLine?: string; head?: string; why?: string };

function one(host: string, port: number, plan: RawPlan, started: number): Promise<One> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port, allowHalfOpen: true });
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    let head: string | undefined;
    const finish = (r: One) => {
      if (settled) return;
      settled = true;
      r.head = head;
      for (const t of timers) clearTimeout(t);
      socket.destroy();
      resolve(r);
    };
    socket.on('error', (err: NodeJS.ErrnoException) => {
      // A reset is the server closing on us; a refused connection means nothing is listening.
      if (err.code === 'ECONNREFUSED') finish({ ok: false, why: `connection refused: is the server gone? (${err.message})` });
      else finish({ ok: true, firstLine: `(${err.code ?? err.message})` });
    });
    let firstLine: string | undefined;
    socket.on('data', (chunk: Buffer) => {
      head ??= chunk.subarray(0, 1000).toString('latin1');
      firstLine ??= head.split(/\r?\n/)[0]!.slice(0, 120);
      if (plan.until !== 'close') finish({ ok: true, firstLine });
    });
    socket.on('end', () => finish({ ok: true, firstLine: firstLine ?? '(closed)' }));
    socket.on('close', () => finish({ ok: true, firstLine: firstLine ?? '(closed)' }));
    timers.push(
      setTimeout(
        () => finish({ ok: false, firstLine, why: `${firstLine === undefined ? 'no answer and ' : ''}no close within ${plan.deadlineMs} ms` }),
        Math.max(0, plan.deadlineMs - (Date.now() - started)),
      ),
    );
    socket.once('connect', async () => {
      for (const p of plan.pieces) {
        if (p.delayMs) await new Promise((r) => timers.push(setTimeout(r, p.delayMs)));
        if (settled || socket.destroyed) return;
        const data = typeof p.data === 'function' ? p.data() : p.data;
        // Backpressure matters for the oversized bodies: wait for the buffer to drain.
        if (!socket.write(data)) await new Promise((r) => socket.once('drain', r).once('close', r));
        if (settled) return;
      }
      if (plan.after === 'half-close') socket.end();
    });
  });
}

export async function runRaw(host: string, port: number, plan: RawPlan): Promise<RawResult> {
  const started = Date.now();
  const results = await Promise.all(Array.from({ length: plan.connections ?? 1 }, () => one(host, port, plan, started)));
  const bad = results.filter((r) => !r.ok);
  return {
    ok: bad.length === 0,
    firstLine: results[0]?.firstLine,
    head: results[0]?.head,
    ...(bad.length ? { why: `${bad.length} of ${results.length} connection(s): ${bad[0]!.why}` } : {}),
    ms: Date.now() - started,
  };
}
