import assert from 'node:assert/strict';
import { ageSince, formatRFC1123Z, humanDuration } from '@kip/scripts';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('cli ages and dates', () => {
  const cases: [number, string][] = [
    [-3 * S, '<invalid>'],
    [-1 * S, '0s'],
    [0, '0s'],
    [5 * S, '5s'],
    [119 * S, '119s'],
    [2 * M, '2m'],
    [3 * M + 2 * S, '3m2s'],
    [9 * M + 59 * S, '9m59s'],
    [10 * M + 30 * S, '10m'],
    [179 * M, '179m'],
    [3 * H, '3h'],
    [3 * H + 5 * M, '3h5m'],
    [8 * H + 5 * M, '8h'],
    [47 * H, '47h'],
    [2 * D + 3 * H, '2d3h'],
    [3 * D, '3d'],
    [10 * D + 5 * H, '10d'],
    [800 * D, '2y70d'],
    [3 * 365 * D, '3y'],
    [9 * 365 * D, '9y'],
  ];
  for (const [ms, want] of cases) it(`shows ${ms}ms as ${want}`, () => assert.equal(humanDuration(ms), want));

  it('ages a timestamp against now, and says <unknown> without one', () => {
    const now = Date.parse('2024-01-01T00:10:00Z');
    assert.equal(ageSince('2024-01-01T00:07:58Z', now), '2m2s');
    assert.equal(ageSince(undefined, now), '<unknown>');
    assert.equal(ageSince('not a time', now), '<unknown>');
  });

  it('formats dates as RFC 1123 with a numeric zone, as describe shows them', () => {
    assert.equal(formatRFC1123Z('2024-03-05T07:08:09Z', 0), 'Tue, 05 Mar 2024 07:08:09 +0000');
    assert.equal(formatRFC1123Z('2024-03-05T07:08:09Z', 90), 'Tue, 05 Mar 2024 08:38:09 +0130');
    assert.equal(formatRFC1123Z('2024-03-05T01:08:09Z', -300), 'Mon, 04 Mar 2024 20:08:09 -0500');
    assert.equal(formatRFC1123Z(undefined, 0), '<unknown>');
  });
});
