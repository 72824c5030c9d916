// The numbers inside a fault spec, parsed: latency and jitter (durations), correlation (a
// percentage, as netem and Chaos Mesh write it), a reset probability (0 to 1), and a bandwidth
// rate. Rates read as network people read them: "mbps", "kbps", "gbps" and "bps" are bits per
// second (SI: 1mbps = 1,000,000 bit/s), and so are tc's "mbit" and "kbit"; "MB/s", "kB/s", "MBps"
// and "B/s" are bytes per second (SI), "MiB/s" and "KiB/s" binary bytes per second.
// (Chaos Mesh reads "mbps" as bytes; kip follows the everyday meaning and says so in the docs.)

import { parseDuration } from '../api/quantity.js';

const PREFIX: Record<string, number> = { '': 1, k: 1e3, K: 1e3, m: 1e6, M: 1e6, g: 1e9, G: 1e9, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 };
const RATE = /^(\d+(?:\.\d+)?)\s*(|k|K|m|M|g|G|Ki|Mi|Gi)(bps|bit|b\/s|Bps|B\/s)$/;

/** A rate such as "1mbps", "500kbps" or "10MB/s" in bytes per second; undefined if it is not one. */
export function parseRate(text: string | undefined): number | undefined {
  if (typeof text !== 'string') return undefined;
  const m = RATE.exec(text.trim());
  if (!m) return undefined;
  // A lower-case b counts bits, a capital B bytes, as on every network data sheet.
  const bits = m[3] === 'bps' || m[3] === 'bit' || m[3] === 'b/s';
  const bytes = (Number(m[1]) * PREFIX[m[2]!]!) / (bits ? 8 : 1);
  return Number.isFinite(bytes) && bytes > 0 ? bytes : undefined;
}

/** "1.2 MB/s", "125 kB/s": a rate for people. */
export function formatRate(bytesPerSecond: number): string {
  const units: [number, string][] = [
    [1e9, 'GB/s'],
    [1e6, 'MB/s'],
    [1e3, 'kB/s'],
  ];
  for (const [f, u] of units) if (bytesPerSecond >= f) return `${+(bytesPerSecond / f).toFixed(2)} ${u}`;
  return `${+bytesPerSecond.toFixed(2)} B/s`;
}

/** "0.25" -> 0.25, a probability from 0 to 1; undefined otherwise. */
export function parseProbability(text: string | number | undefined): number | undefined {
  if (text === undefined) return undefined;
  const s = String(text).trim();
  if (!/^\d+(\.\d+)?$/.test(s)) return undefined;
  const p = Number(s);
  return p >= 0 && p <= 1 ? p : undefined;
}

/** netem's correlation, "25" or "25%" (percent) -> 0.25; undefined when not from 0 to 100. */
export function parseCorrelation(text: string | number | undefined): number | undefined {
  if (text === undefined) return undefined;
  const s = String(text).trim().replace(/%$/, '');
  if (!/^\d+(\.\d+)?$/.test(s)) return undefined;
  const p = Number(s);
  return p >= 0 && p <= 100 ? p / 100 : undefined;
}

/** A duration in ms that must be given and not negative; undefined otherwise. */
export function parseChaosDuration(text: string | undefined): number | undefined {
  if (typeof text !== 'string' || /^\s*-/.test(text)) return undefined;
  return parseDuration(text);
}

/** "1m30s", "500ms", "2h": how kip writes a duration back. */
export function formatDurationMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  let s = Math.round(ms / 1000);
  const h = Math.floor(s / 3600);
  s -= h * 3600;
  const m = Math.floor(s / 60);
  s -= m * 60;
  return `${h ? `${h}h` : ''}${m ? `${m}m` : ''}${s || (!h && !m) ? `${s}s` : ''}`;
}
