// The numbers in a fault: rates as network people write them (bits with a small b, bytes with a
// capital B), probabilities, netem's correlation percentages.

import assert from 'node:assert/strict';
import { formatDurationMs, formatRate, parseCorrelation, parseProbability, parseRate } from '@kip/shared';

describe('chaos: fault parameters', () => {
  const rates: [string, number | undefined][] = [
    ['1mbps', 125_000],
    ['1Mbps', 125_000],
    ['500kbps', 62_500],
    ['8bps', 1],
    ['1gbit', 125_000_000],
    ['10MB/s', 10_000_000],
    ['10MBps', 10_000_000],
    ['1KiB/s', 1024],
    ['2Mb/s', 250_000],
    ['fast', undefined],
    ['0mbps', undefined],
    ['-1mbps', undefined],
    ['10 MB/s', 10_000_000],
  ];
  for (const [text, bytes] of rates) it(`reads rate "${text}" as ${bytes ?? 'invalid'}`, () => assert.equal(parseRate(text), bytes));

  it('reads probabilities from 0 to 1 and correlation from 0 to 100 percent', () => {
    assert.equal(parseProbability('0.25'), 0.25);
    assert.equal(parseProbability('1'), 1);
    assert.equal(parseProbability('1.5'), undefined);
    assert.equal(parseProbability('-0.1'), undefined);
    assert.equal(parseCorrelation('25'), 0.25);
    assert.equal(parseCorrelation('25%'), 0.25);
    assert.equal(parseCorrelation('101'), undefined);
  });

  it('writes rates and durations back for people', () => {
    assert.equal(formatRate(125_000), '125 kB/s');
    assert.equal(formatRate(10_000_000), '10 MB/s');
    assert.equal(formatDurationMs(250), '250ms');
    assert.equal(formatDurationMs(90_000), '1m30s');
    assert.equal(formatDurationMs(3_600_000), '1h');
  });
});
