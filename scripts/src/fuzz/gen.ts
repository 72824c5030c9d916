// The fuzzers' seeded generator: every input is drawn from a generator seeded by (run seed,
// target, case number), so that a failing case is replayed from those three numbers alone, and a
// case's input does not depend on which other cases ran or how fast.

import { deriveSeed, seededRandom, type Random } from '@kip/shared';

/** Strings that break naive code: unicode, control bytes, prototype keys, numbers in disguise. */
export const NASTY_STRINGS: readonly string[] = [
  '',
  ' ',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'null',
  'undefined',
  'NaN',
  '-1',
  '1e308',
  '0x10',
  '\u0000',
  '\r\n',
  '../../etc/passwd',
  '%00',
  '%zz',
  // biome-ignore lint/suspicious/noTemplateCurlyInString: a template placeholder as data, on purpose
  '${x}',
  '{{x}}',
  '<script>',
  'é',
  'ｆｕｌｌ',
  '\u202e',
  '\ud800',
  '\udfff',
  '😀',
  'a'.repeat(254),
  'A-B_c.d',
  '-',
  '.',
  'kube-system',
  'default',
];

export class Gen {
  private readonly random: Random;

  constructor(seed: number) {
    this.random = seededRandom(seed);
  }

  /** The generator of one case: the same three numbers give the same inputs. */
  static forCase(seed: number, target: string, index: number): Gen {
    return new Gen(deriveSeed(seed, target, index));
  }

  /** A number in [0, 1). */
  next(): number {
    return this.random();
  }

  /** A whole number in [0, n). */
  int(n: number): number {
    return Math.min(n - 1, Math.floor(this.random() * n));
  }

  /** A whole number in [lo, hi]. */
  between(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.random() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /** Picks by weight: [[weight, value], ...]. */
  weighted<T>(choices: readonly (readonly [number, T])[]): T {
    const total = choices.reduce((s, [w]) => s + w, 0);
    let r = this.random() * total;
    for (const [w, v] of choices) {
      if ((r -= w) < 0) return v;
    }
    return choices[choices.length - 1]![1];
  }

  bytes(n: number): Buffer {
    const b = Buffer.allocUnsafe(n);
    for (let i = 0; i < n; i++) b[i] = this.int(256);
    return b;
  }

  /** A short run of letters, the shape of a name. */
  name(max = 12): string {
    const chars = 'abcdefghijklmnopqrstuvwxyz0123456789-';
    let s = '';
    const n = this.between(1, max);
    for (let i = 0; i < n; i++) s += chars[this.int(chars.length)];
    return s;
  }

  /** Any string: a name, a nasty one, random code points, or a long one. */
  string(): string {
    switch (this.int(6)) {
      case 0:
        return this.name();
      case 1:
      case 2:
        return this.pick(NASTY_STRINGS);
      case 3: {
        let s = '';
        const n = this.between(1, 20);
        for (let i = 0; i < n; i++) s += String.fromCodePoint(this.chance(0.8) ? this.between(0, 0x7ff) : this.between(0x800, 0x10ffff));
        return s;
      }
      case 4:
        return this.pick(['x', 'é', '😀', '\u0000']).repeat(this.pick([1000, 70_000, 300_000]));
      default:
        return String(this.number());
    }
  }

  number(): number {
    return this.pick([0, -0, 1, -1, 0.5, 2 ** 31, 2 ** 53 + 1, -(2 ** 63), 1e308, Number.MAX_SAFE_INTEGER, Number.MIN_VALUE, this.between(-1000, 1000)]);
  }

  /** A random JSON value, at most `depth` levels deep. */
  json(depth = 3): unknown {
    const kind = depth <= 0 ? this.int(5) : this.int(7);
    switch (kind) {
      case 0:
        return null;
      case 1:
        return this.chance(0.5);
      case 2:
        return this.number();
      case 3:
      case 4:
        return this.string();
      case 5:
        return Array.from({ length: this.int(4) }, () => this.json(depth - 1));
      default: {
        const o: Record<string, unknown> = {};
        const n = this.int(4);
        for (let i = 0; i < n; i++) o[this.chance(0.3) ? this.pick(NASTY_STRINGS) : this.name()] = this.json(depth - 1);
        return o;
      }
    }
  }

  /** An array or object nested `levels` deep, the shape that overflows recursive code. */
  deep(levels: number): unknown {
    let v: unknown = this.chance(0.5) ? 1 : 'x';
    const asArray = this.chance(0.5);
    for (let i = 0; i < levels; i++) v = asArray ? [v] : { a: v };
    return v;
  }
}
