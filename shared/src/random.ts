// Seeded randomness. Every random choice kip makes that someone may want to replay (a scheduling
// tie, the nodes a fault picks, jitter, which connection to reset) draws from a generator seeded by
// a recorded seed, so that the same inputs draw the same numbers.

/** A source of numbers in [0, 1), like Math.random. */
export type Random = () => number;

/** mulberry32: small, fast, and good enough to pick nodes and jitter; not for secrets. */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** FNV-1a over the parts: mixes a seed with names into a new 32-bit seed. */
export function deriveSeed(seed: number, ...parts: (string | number)[]): number {
  let h = (0x811c9dc5 ^ (seed >>> 0)) >>> 0;
  for (const p of parts) {
    const s = `\u0000${String(p)}`;
    for (let i = 0; i < s.length; i++) {
      h ^= s.charCodeAt(i);
      h = Math.imul(h, 0x01000193) >>> 0;
    }
  }
  return h >>> 0;
}

/** A whole number in [0, n). */
export function randomInt(random: Random, n: number): number {
  return Math.min(n - 1, Math.floor(random() * n));
}

/** A fresh seed for a fault that was given none, printed so that the run can be replayed. */
export function newSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}

/** Fisher-Yates on a copy: the first k entries are a uniform random k-subset, in random order. */
export function shuffled<T>(items: readonly T[], random: Random): T[] {
  const a = [...items];
  for (let i = a.length - 1; i > 0; i--) {
    const j = randomInt(random, i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}
