// Resource quantities as Kubernetes writes them: "250m" and "0.5" cpu, "128Mi" and "1G" memory,
// "1e3" with an exponent. kip computes in integers: millicores for cpu, bytes for memory.

const SUFFIX: Record<string, number> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const QUANTITY = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei))?$/;

/** The value of a quantity in base units (cores, bytes, count), or undefined if it is not one. */
export function parseQuantity(q: string | number): number | undefined {
  if (typeof q === 'number') return Number.isFinite(q) ? q : undefined;
  if (typeof q !== 'string') return undefined;
  const m = QUANTITY.exec(q.trim());
  if (!m) return undefined;
  const base = Number(m[1]);
  if (m[2]) return base * 10 ** Number(m[2].slice(1));
  return base * (SUFFIX[m[3] ?? ''] ?? 1);
}

export function isQuantity(q: unknown): boolean {
  return (typeof q === 'string' || typeof q === 'number') && parseQuantity(q) !== undefined;
}

/** CPU in millicores, rounded up as Kubernetes rounds sub-milli values. */
export function parseCpuMillis(q: string | number | undefined): number {
  if (q === undefined) return 0;
  const v = parseQuantity(q);
  return v === undefined ? 0 : Math.ceil(Math.round(v * 1e6) / 1e3);
}

/** Memory (or any count) in whole units, rounded up. */
export function parseBytes(q: string | number | undefined): number {
  if (q === undefined) return 0;
  const v = parseQuantity(q);
  return v === undefined ? 0 : Math.ceil(v);
}

export function formatCpuMillis(millis: number): string {
  if (millis % 1000 === 0) return String(millis / 1000);
  return `${Math.round(millis)}m`;
}

/** Bytes in the largest binary unit that keeps an integer, as kubectl prints them ("512Mi"). */
export function formatBytes(bytes: number): string {
  const units: [string, number][] = [
    ['Ei', 2 ** 60],
    ['Pi', 2 ** 50],
    ['Ti', 2 ** 40],
    ['Gi', 2 ** 30],
    ['Mi', 2 ** 20],
    ['Ki', 2 ** 10],
  ];
  for (const [u, f] of units) if (bytes >= f && bytes % f === 0) return `${bytes / f}${u}`;
  return String(Math.round(bytes));
}

/** Bytes rounded to Mi, as `kubectl top` shows them. */
export function formatMi(bytes: number): string {
  return `${Math.round(bytes / 2 ** 20)}Mi`;
}

/** "30s", "1m30s", "500ms", "2h" -> milliseconds; a bare number is seconds. */
export function parseDuration(s: string | number): number | undefined {
  if (typeof s === 'number') return Number.isFinite(s) && s >= 0 ? s * 1000 : undefined;
  if (typeof s !== 'string') return undefined;
  const t = s.trim();
  if (/^\d+(\.\d+)?$/.test(t)) return Number(t) * 1000;
  const re = /(\d+(?:\.\d+)?)(ms|us|\u00b5s|ns|s|m|h|d)/gy;
  let total = 0;
  let pos = 0;
  let m: RegExpExecArray | null;
  const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1e3, m: 6e4, h: 3.6e6, d: 8.64e7 };
  while ((m = re.exec(t)) !== null) {
    total += Number(m[1]) * unit[m[2]!]!;
    pos = re.lastIndex;
  }
  if (pos === 0 || pos !== t.length) return undefined;
  return total;
}
