// Proof of the cluster token without sending it: the dialler signs its hello (a fresh random nonce,
// its clock, the target and its own name) with HMAC-SHA256 keyed by the token. The acceptor checks
// the MAC in constant time, that the clock is within a freshness window, and that it has not seen
// the nonce inside that window, so a captured hello can neither be forged, retargeted, nor replayed.

import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { TunnelError } from './errors.js';
import { NONCE_BYTES, encodeHelloFields, type TunnelHello, type TunnelHelloFields } from './frames.js';

/** How far the dialler's clock may be from the acceptor's: agents of one cluster share a clock source. */
export const DEFAULT_FRESHNESS_MS = 30_000;
/** Nonces remembered at most; past this the oldest are forgotten first (they expire anyway). */
const MAX_REMEMBERED_NONCES = 100_000;

/** A domain label so that a MAC made for tunnels can never be valid anywhere else the token is used. */
const DOMAIN = 'kip tunnel proof v1\0';

export function tunnelMac(token: string, signed: Buffer): Buffer {
  return createHmac('sha256', token).update(DOMAIN).update(signed).digest();
}

/** A fresh hello for a target: the signed bytes and their MAC. */
export function signHello(
  token: string,
  target: { podIP: string; port: number },
  from: string,
  now = Date.now(),
): { fields: TunnelHelloFields; signed: Buffer; mac: Buffer } {
  const fields: TunnelHelloFields = { nonce: randomBytes(NONCE_BYTES), time: now, podIP: target.podIP, port: target.port, from };
  const signed = encodeHelloFields(fields);
  return { fields, signed, mac: tunnelMac(token, signed) };
}

/** Remembers the nonces seen within the freshness window, to refuse a replayed hello. */
export class ReplayGuard {
  private readonly seen = new Map<string, number>();

  constructor(private readonly windowMs = DEFAULT_FRESHNESS_MS) {}

  /** True if the nonce is new (and now remembered), false if it was seen within the window. */
  admit(nonce: Buffer, now: number): boolean {
    const key = nonce.toString('base64');
    const until = this.seen.get(key);
    if (until !== undefined && until > now) return false;
    this.prune(now);
    // Remembered for twice the window: a hello is fresh for the window on either side of `now`.
    this.seen.set(key, now + 2 * this.windowMs);
    return true;
  }

  get size(): number {
    return this.seen.size;
  }

  private prune(now: number): void {
    // Map iteration is insertion order, which is expiry order: stop at the first live entry.
    for (const [k, until] of this.seen) {
      if (until > now && this.seen.size < MAX_REMEMBERED_NONCES) break;
      this.seen.delete(k);
    }
  }
}

/**
 * Checks a decoded hello against the token; throws a BadProof TunnelError saying which check
 * failed. `guard` is optional so that the check itself stays a pure function in tests.
 */
export function verifyHello(hello: TunnelHello, token: string, opts: { now?: number; freshnessMs?: number; guard?: ReplayGuard } = {}): void {
  const now = opts.now ?? Date.now();
  const window = opts.freshnessMs ?? DEFAULT_FRESHNESS_MS;
  const expected = tunnelMac(token, hello.signed);
  if (hello.mac.length !== expected.length || !timingSafeEqual(hello.mac, expected)) {
    throw new TunnelError('BadProof', "bad proof: the hello was not signed with this cluster's token");
  }
  const skew = hello.time - now;
  if (Math.abs(skew) > window) {
    throw new TunnelError('BadProof', `bad proof: stale hello (clocks ${Math.round(Math.abs(skew) / 1000)}s apart; at most ${window / 1000}s allowed)`);
  }
  if (opts.guard && !opts.guard.admit(hello.nonce, now)) throw new TunnelError('BadProof', 'bad proof: replayed hello');
}
