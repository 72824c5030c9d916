// What the three fuzzers share: a case (one generated input and how to send it), the facts about
// the cluster that inputs are made from, and how an input is shown in the report.

export const TARGETS = ['http', 'agent', 'tunnel'] as const;
export type TargetName = (typeof TARGETS)[number];

/** The cluster under test, as the generators and runners need it. */
export interface FuzzEnv {
  host: string;
  /** the API server's port (HTTP and the agents' WebSocket) */
  port: number;
  /** the cluster join token, for inputs that must get past the handshake */
  joinToken: string;
  /** the admin bearer token, when the API requires one */
  apiToken?: string;
  nodes: { name: string; tunnel: string; pid: number }[];
  /** pods bound to real nodes that fuzzed frames must not change */
  witnesses: { namespace: string; name: string; uid: string; node: string }[];
}

export interface CaseResult {
  /** the server answered or closed in time (and nothing else went wrong) */
  ok: boolean;
  /** the start of the answer, to count answers by kind ("HTTP/1.1 400", "closed 1002") */
  answer?: string;
  /** when not ok: what was expected and did not happen */
  why?: string;
  /** not ok because the server accepted what it must refuse, rather than because it went silent */
  violation?: boolean;
  ms: number;
}

export interface FuzzCase {
  target: TargetName;
  index: number;
  /** the kind of input, for the summary: "post-json", "bad-proof" */
  kind: string;
  /** the input as data a person can read (long bytes cut), the same for the same seed and index */
  input: unknown;
  /** the longest this case may take before silence counts as a hang */
  deadlineMs: number;
  /** the case goes silent on purpose and waits for the server's own timeout to end it */
  waits: boolean;
  run(env: FuzzEnv): Promise<CaseResult>;
}

const SHOW_BYTES = 400;

/** Bytes as readable text: printable ASCII as is, the rest escaped, long ones cut with their length. */
export function showBytes(b: Buffer | string): string {
  const buf = typeof b === 'string' ? Buffer.from(b) : b;
  let s = '';
  for (const c of buf.subarray(0, SHOW_BYTES))
    s += c >= 0x20 && c < 0x7f && c !== 0x5c ? String.fromCharCode(c) : c === 0x0a ? '\\n' : c === 0x0d ? '\\r' : `\\x${c.toString(16).padStart(2, '0')}`;
  return buf.length > SHOW_BYTES ? `${s}... (${buf.length} bytes in all)` : s;
}
