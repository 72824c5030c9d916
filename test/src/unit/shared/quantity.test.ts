import assert from 'node:assert/strict';
import { formatBytes, formatCpuMillis, formatMi, isQuantity, parseBytes, parseCpuMillis, parseDuration, parseQuantity } from '@kip/shared';

const Ki = 2 ** 10;
const Mi = 2 ** 20;
const Gi = 2 ** 30;

describe('shared/api/quantity', () => {
  describe('parseQuantity', () => {
    const cases: { name: string; in: string | number; want: number | undefined }[] = [
      { name: 'a plain integer', in: '3', want: 3 },
      { name: 'a decimal', in: '0.5', want: 0.5 },
      { name: 'a decimal without leading digit', in: '.5', want: 0.5 },
      { name: 'a trailing dot', in: '1.', want: 1 },
      { name: 'an explicit plus sign', in: '+2', want: 2 },
      { name: 'a negative value (validation refuses it, parsing does not)', in: '-1', want: -1 },
      { name: 'milli', in: '250m', want: 0.25 },
      { name: 'decimal kilo', in: '2k', want: 2000 },
      { name: 'decimal mega', in: '1M', want: 1e6 },
      { name: 'decimal giga', in: '1G', want: 1e9 },
      { name: 'decimal tera', in: '1T', want: 1e12 },
      { name: 'decimal peta', in: '1P', want: 1e15 },
      { name: 'decimal exa', in: '1E', want: 1e18 },
      { name: 'binary kibi', in: '1Ki', want: Ki },
      { name: 'binary mebi', in: '128Mi', want: 128 * Mi },
      { name: 'binary gibi with a fraction', in: '1.5Gi', want: 1.5 * Gi },
      { name: 'binary tebi', in: '1Ti', want: 2 ** 40 },
      { name: 'binary pebi', in: '1Pi', want: 2 ** 50 },
      { name: 'binary exbi', in: '1Ei', want: 2 ** 60 },
      { name: 'an exponent', in: '1e3', want: 1000 },
      { name: 'an upper-case exponent', in: '1E3', want: 1000 },
      { name: 'a negative exponent', in: '5e-1', want: 0.5 },
      { name: 'a signed exponent', in: '2e+2', want: 200 },
      { name: 'surrounding whitespace is ignored', in: ' 64Mi ', want: 64 * Mi },
      { name: 'a finite number passes through', in: 2.5, want: 2.5 },
      { name: 'NaN is not a quantity', in: Number.NaN, want: undefined },
      { name: 'Infinity is not a quantity', in: Number.POSITIVE_INFINITY, want: undefined },
      { name: 'the empty string', in: '', want: undefined },
      { name: 'a bare suffix', in: 'Mi', want: undefined },
      { name: 'a lower-case binary suffix', in: '1mi', want: undefined },
      { name: 'an unknown suffix', in: '1Xi', want: undefined },
      { name: 'a suffix and an exponent together', in: '1e3Mi', want: undefined },
      { name: 'a bare exponent marker (e is not a suffix)', in: '1e', want: undefined },
      { name: 'a space inside', in: '1 Gi', want: undefined },
      { name: 'two dots', in: '1.2.3', want: undefined },
      { name: 'words', in: 'lots', want: undefined },
    ];
    for (const c of cases) {
      it(`${c.name}: ${JSON.stringify(c.in)}`, () => {
        assert.equal(parseQuantity(c.in), c.want);
      });
    }

    it('refuses what is neither a string nor a number', () => {
      for (const v of [null, undefined, {}, [], true]) assert.equal(parseQuantity(v as never), undefined, JSON.stringify(v));
      for (const v of [null, undefined, {}, [], true, 'x']) assert.equal(isQuantity(v), false, JSON.stringify(v));
      assert.equal(isQuantity('1Gi'), true);
      assert.equal(isQuantity(3), true);
    });
  });

  describe('parseCpuMillis', () => {
    const cases: { in: string | number | undefined; want: number }[] = [
      { in: undefined, want: 0 },
      { in: '1', want: 1000 },
      { in: 2, want: 2000 },
      { in: '0.5', want: 500 },
      { in: '0.1', want: 100 },
      { in: '250m', want: 250 },
      { in: '1.5', want: 1500 },
      { in: '100m', want: 100 },
      // Sub-milli values round up, as Kubernetes rounds MilliValue.
      { in: '0.0001', want: 1 },
      { in: '1.0001', want: 1001 },
      { in: '1e-3', want: 1 },
      { in: '2k', want: 2_000_000 },
      // Not a quantity: counts as nothing, validation reports it before it gets here.
      { in: 'lots', want: 0 },
    ];
    for (const c of cases) it(`${JSON.stringify(c.in)} is ${c.want}m`, () => assert.equal(parseCpuMillis(c.in), c.want));
  });

  describe('parseBytes', () => {
    const cases: { in: string | number | undefined; want: number }[] = [
      { in: undefined, want: 0 },
      { in: '128Mi', want: 128 * Mi },
      { in: '1Gi', want: Gi },
      { in: '1G', want: 1e9 },
      { in: '1.5Gi', want: 1.5 * Gi },
      { in: 1024, want: 1024 },
      // Fractions of a byte round up.
      { in: '0.5', want: 1 },
      { in: '1500m', want: 2 },
      { in: 'lots', want: 0 },
    ];
    for (const c of cases) it(`${JSON.stringify(c.in)} is ${c.want} bytes`, () => assert.equal(parseBytes(c.in), c.want));
  });

  describe('formatting', () => {
    const cpu: [number, string][] = [
      [0, '0'],
      [1000, '1'],
      [4000, '4'],
      [250, '250m'],
      [1500, '1500m'],
    ];
    for (const [m, want] of cpu) it(`formatCpuMillis(${m}) is ${want}`, () => assert.equal(formatCpuMillis(m), want));

    const bytes: [number, string][] = [
      [0, '0'],
      [512, '512'],
      [Ki, '1Ki'],
      [1536, '1536'],
      [3 * Ki, '3Ki'],
      [512 * Mi, '512Mi'],
      [1.5 * Gi, '1536Mi'],
      [8 * Gi, '8Gi'],
      [2 ** 40, '1Ti'],
      [2 ** 50, '1Pi'],
      [2 ** 60, '1Ei'],
    ];
    for (const [b, want] of bytes) it(`formatBytes(${b}) is ${want}`, () => assert.equal(formatBytes(b), want));

    it('formatBytes keeps a decimal gigabyte as the largest binary unit that divides it', () => {
      // 1e9 = 2^9 * 1953125: no binary unit divides it, so it stays in bytes.
      assert.equal(formatBytes(1e9), '1000000000');
      assert.equal(formatBytes(1000 * Ki), '1000Ki');
    });

    it('formatMi rounds to whole mebibytes, as kubectl top prints them', () => {
      assert.equal(formatMi(0), '0Mi');
      assert.equal(formatMi(64 * Mi), '64Mi');
      assert.equal(formatMi(64 * Mi + 400 * Ki), '64Mi');
      assert.equal(formatMi(64 * Mi + 600 * Ki), '65Mi');
    });

    it('a formatted quantity parses back to the same value', () => {
      for (const m of [0, 1, 250, 1000, 1500, 64_000]) assert.equal(parseCpuMillis(formatCpuMillis(m)), m);
      for (const b of [0, 1, Ki, 3 * Ki, 512 * Mi, 1.5 * Gi, 8 * Gi, 1e9]) assert.equal(parseBytes(formatBytes(b)), b);
    });
  });

  describe('parseDuration', () => {
    const cases: { in: string | number; want: number | undefined }[] = [
      { in: '30s', want: 30_000 },
      { in: '500ms', want: 500 },
      { in: '2m', want: 120_000 },
      { in: '1m30s', want: 90_000 },
      { in: '2h', want: 7_200_000 },
      { in: '1d', want: 86_400_000 },
      { in: '1h1m1s1ms', want: 3_661_001 },
      { in: '1.5s', want: 1500 },
      { in: '250us', want: 0.25 },
      { in: '250µs', want: 0.25 },
      { in: '1000000ns', want: 1 },
      { in: '0s', want: 0 },
      { in: ' 10s ', want: 10_000 },
      // A bare number is seconds, as in a manifest's *Seconds fields.
      { in: '5', want: 5000 },
      { in: '0.5', want: 500 },
      { in: 3, want: 3000 },
      { in: 0, want: 0 },
      { in: -1, want: undefined },
      { in: Number.NaN, want: undefined },
      { in: '', want: undefined },
      { in: 's', want: undefined },
      { in: '-5s', want: undefined },
      { in: '5x', want: undefined },
      { in: '5mins', want: undefined },
      { in: '1m30', want: undefined },
      { in: '1 m', want: undefined },
      { in: 'soon', want: undefined },
    ];
    for (const c of cases) it(`${JSON.stringify(c.in)} is ${String(c.want)}`, () => assert.equal(parseDuration(c.in), c.want));

    it('refuses what is neither a string nor a number', () => {
      assert.equal(parseDuration(null as never), undefined);
      assert.equal(parseDuration({} as never), undefined);
    });
  });
});
