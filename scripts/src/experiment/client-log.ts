// Reading the `client` image's log back into measurements. The client writes one line per
// request when it ends, stamped with the wall clock at that moment:
//   2026-01-02T03:04:05.678Z #12 GET http://web/ status=200 latency=3ms bytes=91 pod=web-6f7c-abcde
//   2026-01-02T03:04:05.678Z #13 GET http://web/ error="timeout after 1s" latency=1002ms
//   2026-01-02T03:04:05.678Z #14 GET http://web/ status=503 latency=2ms bytes=40 reason="no endpoints"
// A request's start is its end stamp minus its latency, so a sample sits on the time axis where
// the request was sent, whatever its fate: that is what a fault window is compared against.

/** One probe request. Times are wall-clock milliseconds since the epoch. */
export interface Sample {
  /** the client's request number (#n), unique within one client process */
  seq: number;
  /** when the request was sent */
  t: number;
  latencyMs: number;
  /** an HTTP answer from 200 to 399, as the client counts it */
  ok: boolean;
  status?: number;
  /** why it failed: the client's error, or "HTTP 503" */
  error?: string;
  /** the pod that answered, and its node, as http-echo names them */
  pod?: string;
  node?: string;
}

const LINE = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z) #(\d+) \S+ \S+ (.*)$/;

/** Pulls a `key="json string"` field out of a line, returning its value and the line without it. */
function takeQuoted(rest: string, key: string): { value?: string; rest: string } {
  const m = new RegExp(`(?:^| )${key}=("(?:[^"\\\\]|\\\\.)*")`).exec(rest);
  if (!m) return { rest };
  let value: string;
  try {
    value = JSON.parse(m[1]!) as string;
  } catch {
    value = m[1]!;
  }
  return { value, rest: rest.slice(0, m.index) + rest.slice(m.index + m[0].length) };
}

/** Parses one log line; anything that is not a request line (the banner, the summary) is undefined. */
export function parseClientLine(line: string): Sample | undefined {
  const m = LINE.exec(line.trim());
  if (!m) return undefined;
  const end = Date.parse(m[1]!);
  // Quoted fields first: a proxy's reason may itself contain "pod=" or "latency=".
  const error = takeQuoted(m[3]!, 'error');
  const reason = takeQuoted(error.rest, 'reason');
  const rest = reason.rest;
  const latency = /(?:^| )latency=(\d+(?:\.\d+)?)ms(?: |$)/.exec(rest);
  if (Number.isNaN(end) || !latency) return undefined;
  const latencyMs = Number(latency[1]);
  const seq = Number(m[2]);
  const status = /(?:^| )status=(\d{3})(?: |$)/.exec(rest);
  const pod = /(?:^| )pod=(\S+)/.exec(rest);
  const node = /(?:^| )node=(\S+)/.exec(rest);
  const base = { seq, t: end - latencyMs, latencyMs, ...(pod ? { pod: pod[1]! } : {}), ...(node ? { node: node[1]! } : {}) };
  if (status) {
    const code = Number(status[1]);
    const ok = code >= 200 && code < 400;
    return { ...base, ok, status: code, ...(ok ? {} : { error: `HTTP ${code}${reason.value ? `: ${reason.value}` : ''}` }) };
  }
  return { ...base, ok: false, error: error.value ?? 'error' };
}

/**
 * Turns a followed log, chunk by chunk, into samples. A line split across chunks is kept until
 * its end comes; a request seen twice (the log is read again from the start after a broken
 * stream) counts once.
 */
export class ClientLogReader {
  private pending = '';
  private readonly seen = new Set<number>();
  readonly samples: Sample[] = [];

  constructor(private readonly onSample?: (s: Sample) => void) {}

  push(chunk: string): void {
    this.pending += chunk;
    let nl: number;
    while ((nl = this.pending.indexOf('\n')) >= 0) {
      const line = this.pending.slice(0, nl);
      this.pending = this.pending.slice(nl + 1);
      this.line(line);
    }
  }

  /** The stream ended: a last line without its newline is complete now. */
  end(): void {
    if (this.pending) this.line(this.pending);
    this.pending = '';
  }

  /** A new stream starts from the beginning of the log; a partial line of the old one is void. */
  restart(): void {
    this.pending = '';
  }

  private line(line: string): void {
    const s = parseClientLine(line);
    if (!s || this.seen.has(s.seq)) return;
    this.seen.add(s.seq);
    this.samples.push(s);
    this.onSample?.(s);
  }

  /** The highest request number seen: requests below it with no line were lost without a word. */
  get highestSeq(): number {
    let max = 0;
    for (const s of this.seen) if (s > max) max = s;
    return max;
  }
}
